// The benchmark's page: starts the app's own node worker (the release build's
// /node_worker_loader.js) and speaks the UI protocol to it as the app's NodeClient does
// (crates/host/src/protocol.rs), timing everything with this page's clock.
//
// Why plain JavaScript: the harness (crates/e2e/src/bench/) needs the node's latency as the page
// sees it, without WebDriver's round trips inside the timed window. Each call runs as a job: the
// harness starts it with `blixtraBench.begin(name, args)` and polls `blixtraBench.job(id)`, so no
// WebDriver script timeout bounds a batch of a thousand payments.
"use strict";

const PROTOCOL_VERSION = 10;

let worker = null;
let nextRequestId = 1;
const replies = new Map(); // request id -> {resolve}
let lifecycle = null; // {resolve} for the next hello / started / start_failed / stopped
const eventWaiters = []; // {match, resolve}
const jobs = new Map();
let nextJobId = 1;

function onMessage(message) {
  const data = JSON.parse(message.data);
  switch (data.kind) {
    case "reply": {
      const waiter = replies.get(data.id);
      replies.delete(data.id);
      if (waiter) waiter.resolve(data.result);
      break;
    }
    case "event": {
      for (let i = eventWaiters.length - 1; i >= 0; i--) {
        if (eventWaiters[i].match(data.event)) {
          eventWaiters[i].resolve({ event: data.event, at: performance.now() });
          eventWaiters.splice(i, 1);
        }
      }
      break;
    }
    default:
      if (lifecycle) {
        const waiter = lifecycle;
        lifecycle = null;
        waiter.resolve(data);
      }
  }
}

function nextLifecycle() {
  return new Promise((resolve) => { lifecycle = { resolve }; });
}

function waitForEvent(match, withinMs) {
  return new Promise((resolve, reject) => {
    const waiter = { match, resolve };
    eventWaiters.push(waiter);
    setTimeout(() => {
      const at = eventWaiters.indexOf(waiter);
      if (at >= 0) {
        eventWaiters.splice(at, 1);
        reject(new Error(`no matching event within ${withinMs} ms`));
      }
    }, withinMs);
  });
}

// Sends a command; resolves with the answer, rejects with the node's error.
function ask(command) {
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    replies.set(id, {
      resolve: (result) => ("Ok" in result ? resolve(result.Ok) : reject(new Error(JSON.stringify(result.Err)))),
    });
    worker.postMessage(JSON.stringify({ kind: "request", id, caller: { caller: "app" }, command }));
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Terminates the worker at once, as a closed tab does: no stop, no last write. Whoever waits for an
// answer is told it will not come.
function kill() {
  worker.terminate();
  worker = null;
  for (const waiter of replies.values()) waiter.resolve({ Err: "the worker was terminated" });
  replies.clear();
  lifecycle = null;
}

// Adds every channel_closed event, of this worker and of those started after it, to `closes`.
function watchCloses(closes) {
  const watch = () => waitForEvent((e) => e.event === "channel_closed", 24 * 3600 * 1000).then(({ event }) => {
    closes.push(event);
    watch();
  }, () => {});
  watch();
}

async function usableChannel(withinMs) {
  const deadline = performance.now() + withinMs;
  while (performance.now() < deadline) {
    const channels = await ask({ command: "channels" });
    if (channels.some((c) => c.state === "usable")) return;
    await sleep(50);
  }
  throw new Error(`no usable channel within ${withinMs} ms of a restart`);
}

async function post(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${text}`);
  return JSON.parse(text);
}

const calls = {
  // Spawns the worker and starts the node from the wallet's IndexedDB vault; times each step from
  // the worker's creation: its hello (wasm loaded), started, first peer connected.
  async start({ start, peer_within_ms }) {
    const began = performance.now();
    const hello = nextLifecycle();
    worker = new Worker("/node_worker_loader.js");
    worker.onmessage = onMessage;
    const greeting = await hello;
    if (greeting.kind !== "hello" || greeting.version !== PROTOCOL_VERSION) throw new Error(`unexpected greeting ${JSON.stringify(greeting)}`);
    const helloMs = performance.now() - began;
    const started = nextLifecycle();
    const peerEvent = waitForEvent((e) => e.event === "peer_connected", peer_within_ms).then((p) => p.at, () => null);
    worker.postMessage(JSON.stringify({ kind: "start", ...start }));
    const outcome = await started;
    if (outcome.kind !== "started") throw new Error(`the node did not start: ${JSON.stringify(outcome)}`);
    const startedMs = performance.now() - began;
    // A reconnection before the events were forwarded shows in the status only: poll it too, until
    // either says so (the poll stops then, not to weigh on what is timed next).
    let found = false;
    const deadline = performance.now() + peer_within_ms;
    const polled = (async () => {
      while (!found && performance.now() < deadline) {
        const status = await ask({ command: "status" });
        if (status.peers_connected > 0) return performance.now();
        await new Promise((r) => setTimeout(r, 10));
      }
      return null;
    })();
    const first = await Promise.race([peerEvent.then((at) => at ?? polled), polled]);
    found = true;
    const peerMs = first === null ? null : first - began;
    return { node_id: outcome.node_id, hello_ms: helloMs, started_ms: startedMs, peer_connected_ms: peerMs };
  },

  // `count` payments to devnet node `to`, one after another; each invoice is fetched before its
  // timer starts. Times from posting the command to the node's answer, which comes once LDK's
  // PaymentSent is handled and the channel manager written after it has committed.
  async pay_many({ control_url, to, count, amount_msat, max_fee_msat }) {
    const latencies = [];
    const fees = [];
    for (let i = 0; i < count; i++) {
      const { invoice } = await post(`${control_url}/nodes/${to}/invoice`, { amount_msat, description: `bench ${i}` });
      const t0 = performance.now();
      const answer = await ask({ command: "pay_invoice", invoice, amount_msat: null, max_fee_msat });
      latencies.push(performance.now() - t0);
      fees.push(answer.fee_paid_msat);
    }
    return { latencies_ms: latencies, fees_msat: fees };
  },

  // `count` payments from devnet node `from` to invoices of this wallet: timed from just before the
  // devnet is asked to pay to the wallet's PaymentReceived event (sent once LDK's PaymentClaimed is
  // handled and the manager written after it has committed).
  async receive_many({ control_url, from, count, amount_msat }) {
    const latencies = [];
    for (let i = 0; i < count; i++) {
      const invoice = await ask({ command: "create_invoice", amount_msat, description: `bench ${i}`, expiry_secs: 600 });
      const received = waitForEvent((e) => e.event === "payment_received" && e.payment_hash === invoice.payment_hash, 60000);
      const t0 = performance.now();
      const paying = post(`${control_url}/nodes/${from}/pay`, { invoice: invoice.invoice });
      const { at } = await received;
      latencies.push(at - t0);
      await paying;
    }
    return { latencies_ms: latencies };
  },

  // A payment to a wallet with no channel, through the channel its LSP opens for it (LSPS2): the
  // price asked, an invoice on it, and `from` pays. Timed from just before the devnet is asked to
  // pay to the wallet's PaymentReceived event; with what the wallet committed to its store from the
  // invoice until the new channel has settled (2 s after the event).
  async receive_jit({ control_url, from, amount_msat }) {
    const plan = await ask({ command: "plan_receive", amount_msat });
    if (plan.plan !== "new_channel") throw new Error(`a new channel was expected: ${JSON.stringify(plan)}`);
    const before = await ask({ command: "metrics" });
    const jit = await ask({ command: "create_jit_invoice", amount_msat, description: "bench jit", expiry_secs: 600, agreed_fee_msat: plan.fee_msat });
    const received = waitForEvent((e) => e.event === "payment_received" && e.payment_hash === jit.invoice.payment_hash, 120000);
    const t0 = performance.now();
    const paying = post(`${control_url}/nodes/${from}/pay`, { invoice: jit.invoice.invoice });
    const { at } = await received;
    await paying;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await ask({ command: "metrics" });
    const ldk = {};
    for (const [kind, bytes] of Object.entries(after.ldk_bytes)) ldk[kind] = bytes - (before.ldk_bytes[kind] || 0);
    return {
      ms: at - t0,
      fee_msat: plan.fee_msat,
      bytes: after.store.bytes - before.store.bytes,
      transactions: after.store.transactions - before.store.transactions,
      ldk_bytes: ldk,
    };
  },

  // The kill harness (issue 13): `count` times, start a payment to one of `payees` and terminate
  // the worker a random 0 to `max_delay_ms` later (Worker.terminate(), as a closed tab does), then
  // start the node again from IndexedDB and wait for its channel. Then waits until no payment is
  // pending, and returns what the wallet recorded beside each kill for the harness to check against
  // the payees' own records. The delays come from `seed`, so a failing run can be repeated.
  async kill_many({ control_url, start, count, seed, max_delay_ms, amount_msat, max_fee_msat, payees, within_ms }) {
    let state = seed >>> 0 || 1;
    const random = () => {
      // xorshift32: reproducible, and no one's secret.
      state ^= state << 13; state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5; state >>>= 0;
      return state / 4294967296;
    };
    const balancesBefore = await ask({ command: "balances" });
    const channelsBefore = await ask({ command: "channels" });
    const closes = [];
    watchCloses(closes);
    const kills = [];
    for (let i = 0; i < count; i++) {
      const to = payees[i % payees.length];
      const { invoice, payment_hash } = await post(`${control_url}/nodes/${to}/invoice`, { amount_msat, description: `kill ${i}` });
      const delayMs = Math.floor(random() * max_delay_ms);
      ask({ command: "pay_invoice", invoice, amount_msat: null, max_fee_msat }).catch(() => {});
      await sleep(delayMs);
      kill();
      kills.push({ to, payment_hash, delay_ms: delayMs });
      await calls.start({ start, peer_within_ms: within_ms });
      await usableChannel(within_ms);
    }
    const deadline = performance.now() + within_ms;
    let payments = await ask({ command: "payments" });
    while (payments.some((p) => p.status === "Pending") && performance.now() < deadline) {
      await sleep(200);
      payments = await ask({ command: "payments" });
    }
    return {
      kills,
      payments,
      closes,
      balances_before: balancesBefore,
      balances_after: await ask({ command: "balances" }),
      channels_before: channelsBefore,
      channels_after: await ask({ command: "channels" }),
    };
  },

  async sync() {
    const t0 = performance.now();
    const answer = await ask({ command: "sync" });
    return { ms: performance.now() - t0, height: answer.height, new_tip: answer.new_tip };
  },

  async metrics() {
    return ask({ command: "metrics" });
  },

  async channels() {
    return ask({ command: "channels" });
  },

  // The payment history as the UI's history page asks for it: how long, and how many records.
  async history() {
    const t0 = performance.now();
    const answer = await ask({ command: "payments" });
    return { ms: performance.now() - t0, payments: answer.length };
  },

  // The wallet's backup file as Settings exports it: how long, and how many bytes.
  async backup() {
    const t0 = performance.now();
    const answer = await ask({ command: "export_backup" });
    return { ms: performance.now() - t0, bytes: answer.hex.length / 2 };
  },

  // What this origin stores (IndexedDB, mostly) and the page's JavaScript heap (Chromium only).
  async storage() {
    const estimate = await navigator.storage.estimate();
    return { usage_bytes: estimate.usage, page_js_heap_bytes: performance.memory ? performance.memory.usedJSHeapSize : null };
  },

  async stop() {
    const stopped = nextLifecycle();
    worker.postMessage(JSON.stringify({ kind: "stop" }));
    await stopped;
    worker.terminate();
    worker = null;
    return {};
  },
};

window.blixtraBench = {
  begin(name, args) {
    const id = nextJobId++;
    const job = { done: false };
    jobs.set(id, job);
    Promise.resolve()
      .then(() => calls[name](args))
      .then((value) => Object.assign(job, { done: true, value }))
      .catch((e) => Object.assign(job, { done: true, error: String(e && e.stack ? e.stack : e) }));
    return id;
  },
  job(id) {
    const job = jobs.get(id);
    if (job && job.done) jobs.delete(id);
    return job || { done: true, error: `no job ${id}` };
  },
};
