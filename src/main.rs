//! Entry point of the browser app: mounts the UI, nothing else.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(blixtra::app::App);
    blixtra_host::browser::timing::mark("blixtra:app-mounted");
}
