// The DHT library's types, as the discovery-dht package declares them (it ships none of its own).
/// <reference path="../../../packages/discovery-dht/src/types/bittorrent-dht.d.ts" />
