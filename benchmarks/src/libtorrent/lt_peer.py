#!/usr/bin/python3
"""libtorrent 2.0 peers for codio-chunk's benchmarks, driven from Node over stdin/stdout JSON lines.

Run with Debian's /usr/bin/python3 (python3-libtorrent installs for it). Every session listens on
127.0.0.1 only, with DHT, LSD, UPnP, NAT-PMP and uTP off and several connections per IP allowed, so
peers on one machine connect to each other directly over TCP on loopback.

Roles (the first argument); each prints one JSON object per line:
  create <file> <torrent> <piece_size> <v1|v2|hybrid>
      makes <torrent> from <file>; prints {"pieces", "pieceSize"}
  seed <torrent> <save_path> <count> <profile>
      <count> seeding sessions of the file in <save_path>; prints {"ports": [...]} once all seed,
      then answers stdin lines {"op": "mark"} (reset the CPU clock), {"op": "cpu"} and
      {"op": "stop"} (exit) with {"cpuSeconds"}
  leech <torrent> <save_path> <profile> <peers> <timeout_s>
      one session downloading from <peers> (JSON [[host, port], ...]); prints {"seconds",
      "firstPieceMs", "cpuSeconds", "maxRssKiB"} when the torrent is finished
  swarm <torrent> <seed_path> <work_dir> <n> <upload_limit> <profile> <timeout_s>
      one seeder and <n> leechers in this process, every session's upload capped at <upload_limit>
      bytes/s (loopback peers included), all leechers started together and connected to each other
      and to the seeder; prints {"seconds" (until the last leecher finished), "finish": [...]}

Profiles: "default" (libtorrent's defaults) and "tuned" (high_performance_seed(), tick_interval
100 ms). On error prints {"error": "..."} and exits 1.
"""
import json
import os
import resource
import sys
import time

try:
    import libtorrent as lt
except ImportError as err:  # pragma: no cover - reported to the Node side
    print(json.dumps({'error': 'python3-libtorrent is not installed for %s (%s); install it with apt-get install python3-libtorrent' % (sys.executable, err)}), flush=True)
    sys.exit(1)


def emit(value):
    sys.stdout.write(json.dumps(value) + '\n')
    sys.stdout.flush()


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def settings(profile, upload_limit=0):
    pack = {}
    if profile == 'tuned':
        pack.update(lt.high_performance_seed())
        pack['tick_interval'] = 100
    elif profile != 'default':
        raise ValueError('unknown profile %r: use default or tuned' % profile)
    pack.update({
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'enable_incoming_utp': False,
        'enable_outgoing_utp': False,
        'allow_multiple_connections_per_ip': True,
        'upload_rate_limit': int(upload_limit),
        'alert_mask': int(lt.alert_category.status) | int(lt.alert_category.error) | int(lt.alert_category.piece_progress) | int(lt.alert_category.storage),
        'user_agent': 'codio-chunk-bench libtorrent/' + lt.__version__,
    })
    return pack


def new_session(profile, upload_limit=0, limit_local=False):
    session = lt.session(settings(profile, upload_limit))
    if limit_local:
        # By default loopback and LAN peers are in the local peer class, which no rate limit applies
        # to: map every address to the global class instead so that upload_rate_limit holds.
        everyone = lt.ip_filter()
        everyone.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
        everyone.add_rule('::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 1 << lt.session.global_peer_class_id)
        session.set_peer_class_filter(everyone)
    return session


def wait_listening(session, deadline):
    while session.listen_port() == 0:
        if time.monotonic() > deadline:
            raise RuntimeError('libtorrent did not start listening on 127.0.0.1')
        time.sleep(0.01)
    return session.listen_port()


def add(session, torrent, save_path, resume=None):
    params = lt.read_resume_data(resume) if resume is not None else lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = save_path
    return session.add_torrent(params)


def wait_state(handles, states, deadline, what):
    while not all(h.status().state in states for h in handles):
        if time.monotonic() > deadline:
            raise RuntimeError('timed out waiting for libtorrent to be %s' % what)
        time.sleep(0.01)


def resume_data(session, handle, deadline):
    handle.save_resume_data()
    while time.monotonic() < deadline:
        session.wait_for_alert(100)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.save_resume_data_alert):
                return lt.write_resume_data_buf(alert.params)
            if isinstance(alert, lt.save_resume_data_failed_alert):
                raise RuntimeError('save_resume_data failed: %s' % alert.message())
    raise RuntimeError('timed out waiting for libtorrent resume data')


def role_create(path, torrent, piece_size, fmt):
    files = lt.file_storage()
    lt.add_files(files, path)
    flags = {'v1': lt.create_torrent.v1_only, 'v2': lt.create_torrent.v2_only, 'hybrid': 0}[fmt]
    maker = lt.create_torrent(files, int(piece_size), flags=flags)
    maker.set_creator('codio-chunk benchmarks')
    lt.set_piece_hashes(maker, os.path.dirname(os.path.abspath(path)))
    with open(torrent, 'wb') as out:
        out.write(lt.bencode(maker.generate()))
    emit({'pieces': maker.num_pieces(), 'pieceSize': maker.piece_length()})


def role_seed(torrent, save_path, count, profile):
    deadline = time.monotonic() + 300
    sessions, handles, ports = [], [], []
    first = new_session(profile)
    sessions.append(first)
    handles.append(add(first, torrent, save_path))
    wait_state(handles, (lt.torrent_status.seeding,), deadline, 'seeding (is the file complete?)')
    # Every other seeder resumes from the first one's state instead of hashing the file again.
    resume = resume_data(first, handles[0], deadline)
    for _ in range(int(count) - 1):
        session = new_session(profile)
        sessions.append(session)
        handles.append(add(session, torrent, save_path, resume))
    wait_state(handles, (lt.torrent_status.seeding,), deadline, 'seeding')
    for session in sessions:
        ports.append(wait_listening(session, deadline))
    start = cpu_seconds()
    emit({'ports': ports})
    for line in sys.stdin:
        op = json.loads(line).get('op')
        if op == 'mark':
            start = cpu_seconds()
            emit({'ok': True})
        elif op == 'cpu':
            emit({'cpuSeconds': cpu_seconds() - start})
        elif op == 'stop':
            emit({'cpuSeconds': cpu_seconds() - start})
            break


def role_leech(torrent, save_path, profile, peers, timeout):
    session = new_session(profile)
    deadline = time.monotonic() + 30
    wait_listening(session, deadline)
    cpu_start = cpu_seconds()
    started = time.monotonic()
    handle = add(session, torrent, save_path)
    for host, port in json.loads(peers):
        handle.connect_peer((host, int(port)))
    first_piece = None
    deadline = started + float(timeout)
    finished = None
    while finished is None:
        if time.monotonic() > deadline:
            raise RuntimeError('libtorrent leecher timed out after %s s (%.1f%% done)' % (timeout, handle.status().progress * 100))
        session.wait_for_alert(50)
        for alert in session.pop_alerts():
            if first_piece is None and isinstance(alert, lt.piece_finished_alert):
                first_piece = time.monotonic()
            elif isinstance(alert, lt.torrent_finished_alert):
                finished = time.monotonic()
            elif isinstance(alert, (lt.file_error_alert, lt.torrent_error_alert)):
                raise RuntimeError('libtorrent: %s' % alert.message())
    emit({
        'seconds': finished - started,
        'firstPieceMs': (first_piece - started) * 1000 if first_piece is not None else None,
        'cpuSeconds': cpu_seconds() - cpu_start,
        'maxRssKiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    })


def role_swarm(torrent, seed_path, work_dir, n, upload_limit, profile, timeout):
    n = int(n)
    deadline = time.monotonic() + 120
    seeder = new_session(profile, upload_limit, limit_local=True)
    seed_handle = add(seeder, torrent, seed_path)
    wait_state([seed_handle], (lt.torrent_status.seeding,), deadline, 'seeding (is the file complete?)')
    seed_port = wait_listening(seeder, deadline)
    leechers = [new_session(profile, upload_limit, limit_local=True) for _ in range(n)]
    ports = [wait_listening(s, deadline) for s in leechers]
    cpu_start = cpu_seconds()
    started = time.monotonic()
    handles = []
    for i, session in enumerate(leechers):
        path = os.path.join(work_dir, 'leecher-%d' % i)
        os.makedirs(path, exist_ok=True)
        handles.append(add(session, torrent, path))
    for i, handle in enumerate(handles):
        handle.connect_peer(('127.0.0.1', seed_port))
        for j in range(i):
            handle.connect_peer(('127.0.0.1', ports[j]))
    finish = [None] * n
    deadline = started + float(timeout)
    while any(f is None for f in finish):
        if time.monotonic() > deadline:
            done = sum(1 for f in finish if f is not None)
            raise RuntimeError('libtorrent swarm timed out after %s s (%d of %d leechers done)' % (timeout, done, n))
        time.sleep(0.01)
        for i, session in enumerate(leechers):
            for alert in session.pop_alerts():
                if finish[i] is None and isinstance(alert, lt.torrent_finished_alert):
                    finish[i] = time.monotonic() - started
    emit({'seconds': max(finish), 'finish': finish, 'cpuSeconds': cpu_seconds() - cpu_start})


def main(argv):
    roles = {'create': role_create, 'seed': role_seed, 'leech': role_leech, 'swarm': role_swarm}
    if len(argv) < 2 or argv[1] not in roles:
        raise ValueError('usage: lt_peer.py create|seed|leech|swarm ... (see the module docstring)')
    roles[argv[1]](*argv[2:])


if __name__ == '__main__':
    try:
        main(sys.argv)
    except Exception as err:  # reported to the Node side as one JSON line
        emit({'error': '%s: %s' % (type(err).__name__, err)})
        sys.exit(1)
