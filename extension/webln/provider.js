// window.webln, in the website's own world (a MAIN-world content script, run at document_start so
// that it is there before the site's scripts). It holds nothing and decides nothing: each call goes
// as JSON text to the extension's bridge (bridge.js, in the content scripts' isolated world) through
// window.postMessage, and the answer comes back the same way. What a site may do is decided in the
// wallet's node host (crates/host/src/website_host.rs), by the origin the browser gave the bridge.
(() => {
  if ('webln' in window) {
    return;
  }
  const TAG = 'blixtra-webln';
  const pending = new Map();
  const listeners = new Map();
  let nextId = 1;

  window.addEventListener('message', (event) => {
    const data = event.data;
    if (event.source !== window || !data || data.tag !== TAG || data.direction !== 'reply' || typeof data.text !== 'string') {
      return;
    }
    let reply;
    try {
      reply = JSON.parse(data.text);
    } catch {
      return;
    }
    const waiter = pending.get(reply.id);
    if (!waiter) {
      return;
    }
    pending.delete(reply.id);
    if (reply.error) {
      const error = new Error(reply.error.message);
      error.name = reply.error.name;
      waiter.reject(error);
    } else {
      waiter.resolve(reply.result);
    }
  });

  function call(method, args) {
    const id = nextId++;
    let text;
    try {
      text = JSON.stringify({ id, method, args: Array.from(args) });
    } catch {
      const error = new Error(`${method}: its arguments cannot be sent`);
      error.name = 'InvalidDataError';
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      window.postMessage({ tag: TAG, direction: 'request', text }, window.location.origin);
    });
  }

  const method = (name) => function (...args) { return call(name, args); };
  const provider = {
    enable: method('enable'),
    isEnabled: method('isEnabled'),
    getInfo: method('getInfo'),
    getBalance: method('getBalance'),
    makeInvoice: method('makeInvoice'),
    sendPayment: method('sendPayment'),
    keysend: method('keysend'),
    signMessage: method('signMessage'),
    verifyMessage: method('verifyMessage'),
    lookupInvoice: method('lookupInvoice'),
    lnurl: method('lnurl'),
    // One account per wallet: 'accountChanged' is heard by those who listen, and never fired
    // while the wallet is the same.
    on(event, listener) {
      if (typeof listener === 'function') {
        (listeners.get(event) ?? listeners.set(event, new Set()).get(event)).add(listener);
      }
    },
    off(event, listener) {
      listeners.get(event)?.delete(listener);
    },
  };
  Object.defineProperty(window, 'webln', { value: Object.freeze(provider), writable: false, configurable: false, enumerable: true });

  const ready = () => window.dispatchEvent(new Event('webln:ready'));
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', ready, { once: true });
  } else {
    ready();
  }
})();
