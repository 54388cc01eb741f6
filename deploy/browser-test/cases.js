// Helpers shared by page.html and refused.html. Each case resolves to what
// the browser let the page observe, never throws:
//   fetch:     {resolved, status, body, headers: {x-request-id, x-secret}}
//              or {resolved: false, error}
//   WebSocket: {opened, message, closeCode}
async function tryFetch(url, init) {
  try {
    const r = await fetch(url, init);
    const body = await r.text();
    return {
      resolved: true, status: r.status, body,
      headers: {"x-request-id": r.headers.get("X-Request-ID"),
                "x-secret": r.headers.get("X-Secret")},
    };
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

async function runCases(cases, group) {
  const results = {};
  for (const [name, run] of Object.entries(cases)) {
    results[name] = await run();
  }
  await fetch("/results", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({group, userAgent: navigator.userAgent, results}),
  });
}
