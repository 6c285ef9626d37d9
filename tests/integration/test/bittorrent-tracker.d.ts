// The part of bittorrent-tracker's Server the tests use (the package ships no types).
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events'
  import type { Server as HttpServer } from 'node:http'
  import type { Socket } from 'node:dgram'

  export interface ServerOptions {
    /** Interval (ms) the tracker tells clients to announce at. */
    interval?: number
    http?: boolean
    udp?: boolean
    ws?: boolean
    stats?: boolean
  }

  export class Server extends EventEmitter {
    constructor (options?: ServerOptions)
    http: HttpServer | null
    udp4: Socket | null
    torrents: Record<string, { complete: number, incomplete: number, peers: { keys: string[] } }>
    listen (port: number | { http?: number, udp?: number }, hostname: string | { http?: string, udp?: string, udp6?: string }, onListening: () => void): void
    close (callback?: () => void): void
  }
}
