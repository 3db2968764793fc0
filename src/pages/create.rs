//! Creating a wallet: show the new recovery phrase once, check that it was written down, choose a
//! passphrase, then seal it all into the vault.

use blixtra_core::onboarding::{check_new_passphrase, WordCheck};
use blixtra_core::RecoveryPhrase;
use leptos::prelude::*;

use super::yield_to_paint;
use crate::components::{Alert, Busy, NewPassphraseFields};
use crate::context::use_app;
use crate::error_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    ShowWords,
    CheckWords,
    ChoosePassphrase,
}

#[component]
pub fn CreatePage() -> impl IntoView {
    let ctx = use_app();
    let phrase = StoredValue::new_local(RecoveryPhrase::generate());
    let check = StoredValue::new(WordCheck::random(24));
    let step = RwSignal::new(Step::ShowWords);
    let error = RwSignal::new(None::<String>);
    let go = move |next| {
        error.set(None);
        step.set(next);
    };

    let passphrase = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    // The passphrase is read from its field inside the action, never kept as the action's input.
    let create_vault = Action::new_local(move |_: &()| async move {
        let Some(wallet) = ctx.wallet() else { return };
        yield_to_paint().await;
        match wallet.create(&phrase.get_value(), &passphrase.get_untracked()).await {
            Ok(()) => {
                crate::node_session::unlocked(ctx, passphrase.get_untracked());
                passphrase.set(String::new());
                confirmation.set(String::new());
                ctx.request_persistence();
            }
            Err(e) => error.set(Some(error_text::vault(&e))),
        }
    });
    let pending = create_vault.pending();
    let busy = Signal::derive(move || pending.get().then(|| t!("Encrypting your wallet…", "Krypterar din plånbok…").to_owned()));
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Err(e) = check_new_passphrase(&passphrase.get_untracked(), &confirmation.get_untracked()) {
            return error.set(Some(error_text::new_passphrase(&e)));
        }
        error.set(None);
        create_vault.dispatch(());
    };

    view! {
        <h1>{move || t!("Create a new wallet", "Skapa en ny plånbok")}</h1>
        {move || match step.get() {
            Step::ShowWords => view! { <ShowWords words=phrase.with_value(|p| p.words()) on_done=move || go(Step::CheckWords)/> }.into_any(),
            Step::CheckWords => view! {
                <CheckWords check=check.get_value() phrase=phrase error=error on_back=move || go(Step::ShowWords) on_done=move || go(Step::ChoosePassphrase)/>
            }.into_any(),
            Step::ChoosePassphrase => view! {
                <form on:submit=create>
                    <NewPassphraseFields passphrase=passphrase confirmation=confirmation/>
                    <div class="actions">
                        <button type="submit" class="primary" data-testid="create-wallet" prop:disabled=move || busy.get().is_some()>{move || t!("Create wallet", "Skapa plånbok")}</button>
                    </div>
                </form>
            }.into_any(),
        }}
        <Busy message=busy/>
        <Alert message=error/>
    }
}

/// Step 1: the words, shown once.
#[component]
fn ShowWords(words: Vec<&'static str>, on_done: impl Fn() + 'static) -> impl IntoView {
    let written = RwSignal::new(false);
    view! {
        <p>{move || t!("These 24 words are your recovery phrase. Write them down on paper, in order, and keep them somewhere safe and offline.", "De här 24 orden är din återställningsfras. Skriv ner dem på papper, i ordning, och förvara dem säkert och offline.")}</p>
        <p class="warning">{move || t!("Anyone with these words can take your funds. Blixtra will not show them again.", "Den som har orden kan ta dina pengar. Blixtra visar dem inte igen.")}</p>
        <ol class="words" data-testid="recovery-words">
            {words.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
        </ol>
        <label class="check">
            <input type="checkbox" data-testid="words-written" bind:checked=written/>
            {move || t!("I have written down all 24 words", "Jag har skrivit ner alla 24 orden")}
        </label>
        <div class="actions">
            <button type="button" class="primary" data-testid="words-continue" prop:disabled=move || !written.get() on:click=move |_| on_done()>{move || t!("Continue", "Fortsätt")}</button>
        </div>
    }
}

/// Step 2: three of the words, asked back.
#[component]
fn CheckWords(
    check: WordCheck,
    phrase: StoredValue<RecoveryPhrase, LocalStorage>,
    error: RwSignal<Option<String>>,
    on_back: impl Fn() + 'static,
    on_done: impl Fn() + 'static,
) -> impl IntoView {
    let answers = [RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new())];
    let positions = check.positions();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let given = answers.map(|a| a.get_untracked());
        match phrase.with_value(|p| check.verify(p, [&given[0], &given[1], &given[2]])) {
            Ok(()) => on_done(),
            Err(e) => error.set(Some(error_text::word_check(&e))),
        }
    };
    view! {
        <form on:submit=submit>
            <p>{move || t!("To be sure you have them, type these words from your recovery phrase.", "För att vara säker på att du har dem: skriv de här orden ur din återställningsfras.")}</p>
            {positions.into_iter().zip(answers).map(|(position, answer)| {
                let id = format!("check-word-{position}");
                view! {
                    <label for=id.clone()>{move || t!(format!("Word #{position}"), format!("Ord nr {position}"))}</label>
                    <input id=id type="text" autocomplete="off" autocapitalize="none" spellcheck="false" required bind:value=answer/>
                }
            }).collect_view()}
            <div class="actions">
                <button type="button" on:click=move |_| on_back()>{move || t!("Show the words again", "Visa orden igen")}</button>
                <button type="submit" class="primary" data-testid="check-words">{move || t!("Check", "Kontrollera")}</button>
            </div>
        </form>
    }
}
