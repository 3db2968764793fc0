// Starts the wallet in an extension page. Trunk's own loader is an inline script, which the
// extension's content security policy refuses; this file is the same two steps from 'self'.
import init from './blixtra.js';

// The toolbar popup opens `wallet.html?popup` (see the manifest): it gets the popup's width, which
// the browser otherwise takes from the content.
if (new URLSearchParams(location.search).has('popup')) {
  document.body.classList.add('popup');
}

await init({ module_or_path: './blixtra_bg.wasm' });
