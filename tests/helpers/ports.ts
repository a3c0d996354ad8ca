// Free loopback ports for test servers (never hard-coded).
//
// A port is chosen by the test and bound later by a child process, so it must stay free meanwhile.
// Ports from the kernel's ephemeral range (where `listen(0)` draws) do not: every outgoing
// connection of the busy test run takes a local port from that same range, and one of them can land
// on the chosen port first (seen as EADDRINUSE when a bridge started). So ports are drawn at random
// below the ephemeral range, checked by binding, and never handed out twice by one process.
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';

const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (Linux default 32768). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port found between ${low} and ${high}`);
}
