// Preloaded (`node --import`) into each process the demo starts: when the demo's IPC channel closes
// — the demo exited, however it died — the process stops itself the clean way (its SIGTERM handler),
// so nothing keeps running without the demo.
if (typeof process.send === 'function') {
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // Listening refs the channel; the process must still be free to exit on its own.
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
}
export {};
