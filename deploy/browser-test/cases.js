// Helpers shared by page.html, refused.html and null.html. Each page is
// loaded with ?api=http://127.0.0.1:PORT&gw=NAME (the gateway under test).
// Each case resolves to what the browser let the page observe, never throws:
//   fetch:     {resolved, status, body, headers: {x-request-id, x-secret,
//              x-ratelimit-remaining, x-ratelimit-reset}}
//              or {resolved: false, error}
//   WebSocket: {opened, message, closeCode}
const params = new URLSearchParams(location.search);
const api = params.get("api");
const gw = params.get("gw");
const ws = api.replace(/^http/, "ws");

// The URL of case `name` on the gateway: the upstream logs `case` and `gw`.
function at(base, path, name) {
  return `${base}${path}?case=${name}&gw=${encodeURIComponent(gw)}`;
}

async function tryFetch(url, init) {
  try {
    const r = await fetch(url, init);
    const body = await r.text();
    const headers = {};
    for (const name of ["x-request-id", "x-secret", "x-ratelimit-remaining",
                        "x-ratelimit-reset", "access-control-allow-origin"]) {
      headers[name] = r.headers.get(name);
    }
    return {resolved: true, status: r.status, body, headers};
  } catch (e) {
    return {resolved: false, error: String(e)};
  }
}

function tryWebSocket(url) {
  return new Promise((resolve) => {
    const result = {opened: false, message: null, closeCode: null};
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      resolve({...result, error: String(e)});
      return;
    }
    const timer = setTimeout(() => { socket.close(); resolve({...result, timeout: true}); },
                             10000);
    socket.onopen = () => { result.opened = true; };
    socket.onmessage = (m) => { result.message = String(m.data); socket.close(); };
    socket.onclose = (e) => { clearTimeout(timer); result.closeCode = e.code; resolve(result); };
  });
}

// Runs the cases one after the other and POSTs what they observed to
// /results on the page's own server. A page with an opaque origin ("null",
// the sandboxed frame) cannot read that answer, so it sends a no-cors
// text/plain POST, which the browser sends without a preflight.
async function runCases(cases, group) {
  const results = {};
  for (const [name, run] of Object.entries(cases)) {
    results[name] = await run();
  }
  const body = JSON.stringify({group, gw, origin: self.origin,
                               userAgent: navigator.userAgent, results});
  if (self.origin === "null") {
    await fetch("/results", {method: "POST", mode: "no-cors", body});
  } else {
    await fetch("/results", {method: "POST", headers: {"Content-Type": "application/json"},
                             body});
  }
}
