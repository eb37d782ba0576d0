// Preloaded by bench/scale.ts (`node --require`): at exit, the process's peak RSS in KiB goes to
// the file named by TXCONFIRM_BENCH_PEAK_RSS_FILE, as JSON, with the highest anonymous and
// file-backed parts seen by sampling /proc/self/status once a second (file-backed: mostly the
// store's LevelDB files, which LevelDB maps into memory). Without the variable it does nothing.
const fs = require('node:fs');

const file = process.env.TXCONFIRM_BENCH_PEAK_RSS_FILE;
const { isMainThread } = require('node:worker_threads');
if (file && isMainThread) {
  const peak = { anonKb: 0, fileKb: 0 };
  const sample = () => {
    try {
      const status = fs.readFileSync('/proc/self/status', 'utf8');
      const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      peak.anonKb = Math.max(peak.anonKb, kb('RssAnon'));
      peak.fileKb = Math.max(peak.fileKb, kb('RssFile'));
    } catch {
      // Not Linux: only maxRSS is reported.
    }
  };
  setInterval(sample, 1000).unref();
  process.on('exit', () => {
    sample();
    fs.writeFileSync(file, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, ...peak }));
  });
}
