//! The console's screens rendered from the showcase estate (snapshots at 80×24 and 160×48),
//! and `update` driven by keys and messages over them.

use super::fixture;
use super::nav::Target;
use super::update;
use super::msg::Msg;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

fn key(code: KeyCode) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn screens_render() {
    for (w, h) in [(160, 48), (80, 24)] {
        let mut state = fixture::state(w, h);
        update(&mut state, Msg::Input(Event::Key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE))));
        println!("{}", fixture::text(&mut state));
        let mut state = fixture::state(w, h);
        let e = super::update::tests_goto(&mut state, Target::App("argocd/jupyterhub-k8tre-prd".into()));
        fixture::run_effects(&mut state, e);
        println!("{}", fixture::text(&mut state));
        update(&mut state, key(KeyCode::Tab));
        println!("{}", fixture::text(&mut state));
        let mut state = fixture::state(w, h);
        let _ = super::update::tests_goto(&mut state, Target::Cluster("k8tre-stg".into()));
        println!("{}", fixture::text(&mut state));
    }
}
