// bench/canon_ada.mjs: the baseline of bench/canon_summary.py. Times
// `new URL(s).origin` in Node (its URL is ada 2.x; the JS object overhead is
// part of what is measured, as in issue 16) on the inputs of bench_canon's
// BM_CanonicalizeOrigin classes, and prints one JSON object
// {"<class>": ns_per_op, ..., "node": version, "ada": version}.
//
// usage: node bench/canon_ada.mjs [--ms=MILLISECONDS_PER_CLASS]
//
// Each class: a warm-up (so the JIT has compiled the loop), then timed
// batches of 2000 calls until the time budget is spent; the result is the
// wall time of all timed batches over their calls, as Google Benchmark's
// real_time is for bench_canon (so a GC pause counts, as it does for a Node
// caller). Classes whose input throws (the `error` class) time the throw and
// catch, which is what a JS caller pays for a bad origin.

// Keep in sync with bench/canon_bench.cc (BM_CanonicalizeOrigin captures).
export const CLASSES = {
  typical: 'https://shop.customer-name.com',
  mixed_case_port: 'HTTPS://Shop.Customer-Name.com:443/',
  idn_unicode: 'https://bücher.de',
  ipv4_forms: 'http://0x7f.1:8080',
  ipv6: 'http://[2001:db8:0:0:0:ff00:42:8329]:8080',
  full_url: 'https://user@shop.customer-name.com/a/b?q=1#f',
  error: 'https://ex ample.com',
};

function originOf(s) {
  try {
    return new URL(s).origin;
  } catch (e) {
    return null;
  }
}

function timeClass(input, budgetMs) {
  // Distinct string objects per iteration would measure string creation;
  // like the C++ benchmark, the same input is parsed again and again.
  let sink = 0;
  const batch = 2000;
  for (let i = 0; i < 20000; ++i) {  // warm-up
    const o = originOf(input);
    sink += o === null ? 1 : o.length;
  }
  let calls = 0;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(budgetMs) * 1000000n;
  let now;
  do {
    for (let i = 0; i < batch; ++i) {
      const o = originOf(input);
      sink += o === null ? 1 : o.length;
    }
    calls += batch;
    now = process.hrtime.bigint();
  } while (now < deadline);
  if (sink === 42) console.error('');  // keep `sink` alive
  return Number(now - t0) / calls;
}

const msArg = process.argv.find((a) => a.startsWith('--ms='));
const budgetMs = msArg ? Number(msArg.slice(5)) : 200;
const out = {};
for (const [name, input] of Object.entries(CLASSES)) {
  out[name] = timeClass(input, budgetMs);
}
out.node = process.versions.node;
out.ada = process.versions.ada;
console.log(JSON.stringify(out));
