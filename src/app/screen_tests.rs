//! The console's screens rendered from the showcase estate (snapshots at 80×24 and 160×48),
//! and `update` driven by keys and messages over them.

use insta::assert_snapshot;

use super::fixture;
use super::scenes::SCENES;
use crate::ui::testing::SIZES;

#[test]
fn every_scene_at_both_sizes() {
    let cast = fixture::cast();
    for scene in SCENES {
        for (width, height) in SIZES {
            let mut state = fixture::state(width, height);
            let effects = (scene.drive)(&mut state, &cast);
            fixture::run_effects(&mut state, effects);
            let text = fixture::text(&mut state);
            assert_snapshot!(format!("{}_{width}x{height}", scene.name), text);
        }
    }
}

mod update_tests {
    use std::sync::Arc;

    use chrono::Duration;
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use serde_json::json;

    use crate::app::effect::Effect;
    use crate::app::fixture;
    use crate::app::msg::{LogChunk, LogEvent, Msg, Tick};
    use crate::app::nav::Target;
    use crate::app::{ActionKind, ActionResult, AppState, goto_target, update};
    use crate::config::{KeySpec, Mode};
    use crate::domain::argocd::ANNOTATION_REFRESH;
    use crate::live::{LiveEvent, WatchKind, replay};
    use crate::ui::toast::Level;

    fn key(spec: &str) -> Msg {
        let key: KeySpec = spec.parse().expect("key spec");
        Msg::Input(Event::Key(key.to_event()))
    }

    fn press(state: &mut AppState, keys: &[&str]) -> Vec<Effect> {
        let mut effects = Vec::new();
        for k in keys {
            state.prepare_frame();
            effects.extend(update(state, key(k)));
        }
        effects
    }

    fn typed(state: &mut AppState, text: &str) {
        for c in text.chars() {
            let _ = update(
                state,
                Msg::Input(Event::Key(KeyEvent::new(
                    KeyCode::Char(c),
                    KeyModifiers::NONE,
                ))),
            );
        }
    }

    fn open(state: &mut AppState, app: &str) -> Vec<Effect> {
        state.prepare_frame();
        let effects = goto_target(state, Target::App(format!("argocd/{app}")));
        fixture::run_effects(state, effects)
    }

    fn toasts(state: &AppState) -> Vec<(Level, String)> {
        state
            .toasts
            .iter()
            .map(|t| (t.level, t.text.clone()))
            .collect()
    }

    fn screen_text(state: &mut AppState) -> String {
        fixture::text(state)
    }

    #[test]
    fn tab_cycles_the_overview_panes_and_their_modes() {
        let mut state = fixture::state(160, 48);
        assert_eq!(state.mode(), Mode::Overview);
        press(&mut state, &["<Tab>"]);
        assert_eq!(state.mode(), Mode::List, "clusters pane");
        press(&mut state, &["<Tab>"]);
        assert_eq!(state.mode(), Mode::List, "apps pane");
        press(&mut state, &["<Tab>"]);
        assert_eq!(state.mode(), Mode::Overview, "back to the matrix");
        press(&mut state, &["<BackTab>"]);
        assert_eq!(state.mode(), Mode::List);
    }

    #[test]
    fn enter_on_a_layer_expands_it_into_components() {
        let mut state = fixture::state(160, 48);
        let before = screen_text(&mut state);
        assert!(before.contains("▸ Application"), "{before}");
        assert!(!before.contains("jupyterhub     "), "{before}");
        press(&mut state, &["G", "<Enter>"]);
        let after = screen_text(&mut state);
        assert!(after.contains("▾ Application"), "{after}");
        assert!(after.contains("    jupyterhub"), "{after}");
        // Enter on a component cell scopes the list and focuses it.
        press(&mut state, &["j", "<Enter>"]);
        let scoped = screen_text(&mut state);
        assert!(
            scoped.contains("Applications · Application · backend · dev 1"),
            "{scoped}"
        );
        assert_eq!(state.mode(), Mode::List);
        // Esc lifts the scope.
        press(&mut state, &["<Esc>"]);
        assert!(screen_text(&mut state).contains("Applications 50"));
    }

    #[test]
    fn enter_on_an_app_opens_its_detail_pinned_and_fetched() {
        let mut state = fixture::state(160, 48);
        let effects = press(&mut state, &["<Tab>", "<Tab>", "<Enter>"]);
        assert_eq!(state.depth(), 2);
        assert_eq!(state.screen().title(), "jupyterhub-k8tre-prd");
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::FetchApp { name, context, .. }
                if name == "jupyterhub-k8tre-prd" && context == "k8tre-mgmt")),
            "{effects:?}"
        );
        let model = state.app.estate.as_ref().expect("estate");
        assert!(model.pinned().any(|k| &*k.name == "jupyterhub-k8tre-prd"));
        // Back unpins.
        press(&mut state, &["<Esc>"]);
        assert_eq!(state.depth(), 1);
        let model = state.app.estate.as_ref().expect("estate");
        assert_eq!(model.pinned().count(), 0);
    }

    #[test]
    fn unwatched_resources_are_read_on_opening_and_again_when_the_read_grows_old() {
        let mut state = fixture::state(160, 48);
        // Opening fetches the whole Application, which names the resources to read.
        let opened = press(&mut state, &["<Tab>", "<Tab>", "<Enter>"]);
        let fetched = opened
            .into_iter()
            .filter(|e| matches!(e, Effect::FetchApp { .. }))
            .collect();
        let effects = fixture::run_effects_once(&mut state, fetched);
        let reads: Vec<_> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::ReadResources(request) => Some(request.clone()),
                _ => None,
            })
            .collect();
        let [request] = reads.as_slice() else {
            panic!("one read on opening: {effects:?}");
        };
        assert_eq!(request.context, "k8tre-prd");
        let kinds: Vec<&str> = request.resources.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["Service"], "only what the watches cannot tell");
        let service_row = |state: &mut AppState| {
            screen_text(state)
                .lines()
                .find(|l| l.contains("Service jupyterhub"))
                .map(str::to_string)
                .unwrap_or_default()
        };
        assert!(service_row(&mut state).contains("? unknown"));
        fixture::run_effects(&mut state, effects);
        let row = service_row(&mut state);
        assert!(row.contains("● Healthy") && row.contains("read"), "{row}");
        // Fresh: no second read; 30 s later it is read again.
        let tick = |state: &mut AppState, seconds: i64| {
            update(
                state,
                Msg::Tick(Tick {
                    wall: (fixture::now() + chrono::Duration::seconds(seconds)).fixed_offset(),
                    mono: std::time::Instant::now(),
                }),
            )
        };
        let again = |effects: &[Effect]| {
            effects
                .iter()
                .any(|e| matches!(e, Effect::ReadResources(_)))
        };
        assert!(!again(&tick(&mut state, 5)));
        assert!(again(&tick(&mut state, 31)));
    }

    #[test]
    fn refresh_on_a_dev_app_confirms_with_a_keypress_and_the_exact_patch() {
        let mut state = fixture::state(160, 48);
        open(&mut state, "gateway-k8tre-dev");
        let effects = press(&mut state, &["r"]);
        let [
            Effect::Action {
                request,
                dry_run: true,
            },
        ] = effects.as_slice()
        else {
            panic!("a dry run first: {effects:?}");
        };
        assert_eq!(request.kind, ActionKind::Refresh { hard: false });
        assert_eq!(request.target.app, "gateway-k8tre-dev");
        assert_eq!(request.target.context, "k8tre-mgmt");
        assert_eq!(
            request.patch["metadata"]["annotations"][ANNOTATION_REFRESH],
            "normal"
        );
        assert!(
            !request.resource_version.is_empty()
                || request.body()["metadata"]["resourceVersion"].is_string()
        );
        // The dry run passes; Enter (a keypress suffices in dev) sends the real write.
        let ok = ActionResult::for_request(request, true, Ok("dry run passed".into()));
        let _ = update(&mut state, Msg::Action(ok));
        let effects = press(&mut state, &["<Enter>"]);
        let [
            Effect::Action {
                request,
                dry_run: false,
            },
        ] = effects.as_slice()
        else {
            panic!("the write: {effects:?}");
        };
        let done = ActionResult::for_request(request, false, Ok("written".into()));
        let _ = update(&mut state, Msg::Action(done));
        assert!(state.flow().is_none(), "the dialog closed");
        assert!(
            toasts(&state)
                .iter()
                .any(|(level, text)| *level == Level::Success
                    && text.contains("gateway-k8tre-dev: refresh requested"))
        );
    }

    #[test]
    fn prd_sync_needs_the_environment_typed() {
        let mut state = fixture::state(160, 48);
        open(&mut state, "backend-k8tre-prd");
        let effects = press(&mut state, &["s"]);
        let [
            Effect::Action {
                request,
                dry_run: true,
            },
        ] = effects.as_slice()
        else {
            panic!("{effects:?}");
        };
        assert_eq!(
            request.patch["operation"]["initiatedBy"]["username"],
            "alice@k8tre.org"
        );
        let ok = ActionResult::for_request(request, true, Ok("ok".into()));
        let _ = update(&mut state, Msg::Action(ok));
        assert!(
            press(&mut state, &["<Enter>"]).is_empty(),
            "not without the name"
        );
        typed(&mut state, "prd");
        let effects = press(&mut state, &["<Enter>"]);
        assert!(
            matches!(effects.as_slice(), [Effect::Action { dry_run: false, .. }]),
            "{effects:?}"
        );
    }

    #[test]
    fn terminate_without_an_operation_is_explained_not_confirmed() {
        let mut state = fixture::state(160, 48);
        open(&mut state, "gateway-k8tre-dev");
        let effects = press(&mut state, &["X"]);
        assert!(effects.is_empty());
        assert!(state.flow().is_none());
        assert!(
            toasts(&state)
                .iter()
                .any(|(_, text)| text.contains("No operation is in progress")),
            "{:?}",
            toasts(&state)
        );
        // Sync while an operation runs is refused the same way; terminate is offered.
        open(&mut state, "guacamole-k8tre-dev");
        assert!(press(&mut state, &["s"]).is_empty());
        assert!(
            toasts(&state)
                .iter()
                .any(|(_, t)| t.contains("another operation is already in progress"))
        );
        let effects = press(&mut state, &["X"]);
        let [Effect::Action { request, .. }] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(
            request.patch,
            json!({"status": {"operationState": {"phase": "Terminating"}}})
        );
    }

    #[test]
    fn toggling_auto_sync_warns_that_the_applicationset_reverts_it() {
        let mut state = fixture::state(160, 48);
        open(&mut state, "keycloak-k8tre-stg");
        let effects = press(&mut state, &["a"]);
        let [Effect::Action { request, .. }] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(request.kind, ActionKind::AutoSync { enable: true });
        assert_eq!(
            request.patch["spec"]["syncPolicy"]["automated"]["enabled"],
            true
        );
        assert!(
            request
                .warnings
                .iter()
                .any(|w| w.contains("ApplicationSet keycloak-appset")),
            "{:?}",
            request.warnings
        );
    }

    #[test]
    fn read_only_shows_the_patch_and_runs_nothing() {
        let mut state = fixture::state_with(
            Box::new(crate::app::screens::OverviewScreen::new()),
            160,
            48,
            true,
        );
        open(&mut state, "gateway-k8tre-dev");
        let effects = press(&mut state, &["r"]);
        assert!(
            effects.is_empty(),
            "no dry run in read-only mode: {effects:?}"
        );
        let text = screen_text(&mut state);
        assert!(text.contains("READ-ONLY"), "{text}");
        assert!(press(&mut state, &["<Enter>"]).is_empty());
    }

    #[test]
    fn logs_open_for_the_chosen_pod_and_close_with_their_stream() {
        let mut state = fixture::state(160, 48);
        open(&mut state, "jupyterhub-k8tre-prd");
        let effects = press(&mut state, &["<Tab>", "<Enter>"]);
        let [Effect::OpenLogs(request)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(request.context, "k8tre-prd");
        assert_eq!(request.namespace, "jupyterhub");
        assert_eq!(
            request.pod, "jupyterhub-6c9d7f5b8-pw7ld",
            "the first pod: the crash-looping one"
        );
        assert_eq!(request.container.as_deref(), Some("jupyterhub"));
        assert!(request.follow);
        let stream = request.stream;
        let _ = update(
            &mut state,
            Msg::Log(LogChunk {
                stream,
                event: LogEvent::Lines(vec!["level=fatal msg=boom".into()]),
            }),
        );
        assert!(screen_text(&mut state).contains("level=fatal msg=boom"));
        let effects = press(&mut state, &["<Esc>"]);
        assert!(effects.contains(&Effect::CloseLogs(stream)), "{effects:?}");
    }

    #[test]
    fn triage_lists_the_worst_first_and_enter_goes_there() {
        let mut state = fixture::state(160, 48);
        press(&mut state, &["t"]);
        assert_eq!(state.screen().title(), "Triage");
        let text = screen_text(&mut state);
        let degraded = text
            .find("jupyterhub-k8tre-prd")
            .expect("degraded app listed");
        let out_of_sync = text.find("keycloak-k8tre-stg").expect("out of sync listed");
        assert!(degraded < out_of_sync, "worst first:\n{text}");
        for expected in [
            "sync failed",
            "SyncError",
            "NotReady",
            "CrashLoopBackOff",
            "cr8tor-k8tre-prd",
            "Cilium L7 proxy",
        ] {
            assert!(text.contains(expected), "{expected} missing:\n{text}");
        }
        let effects = press(&mut state, &["<Enter>"]);
        fixture::run_effects(&mut state, effects);
        assert_eq!(state.screen().title(), "jupyterhub-k8tre-prd");
    }

    #[test]
    fn the_palette_offers_apps_clusters_and_environments() {
        let mut state = fixture::state(160, 48);
        press(&mut state, &[":"]);
        typed(&mut state, "k8tre-stg");
        let text = screen_text(&mut state);
        assert!(text.contains("cluster"), "{text}");
        press(&mut state, &["<Esc>", ":"]);
        typed(&mut state, "prd");
        let text = screen_text(&mut state);
        assert!(text.contains("env"), "{text}");
        let effects = press(&mut state, &["<Enter>"]);
        assert!(effects.is_empty());
        // An environment scopes the list.
        let text = screen_text(&mut state);
        assert!(text.contains("Applications · prd"), "{text}");
    }

    #[test]
    fn live_events_change_what_is_shown_and_liveness_alone_draws_nothing() {
        let mut state = fixture::state(160, 48);
        state.prepare_frame();
        state.mark_drawn();
        let revision = state.app.revision();
        let _ = update(
            &mut state,
            Msg::Live(Box::new(LiveEvent::Alive {
                context: Arc::from("k8tre-dev"),
                watch: WatchKind::Pods,
                at: fixture::now(),
            })),
        );
        assert!(!state.is_dirty(), "a bookmark asks for no frame");
        assert_eq!(state.app.revision(), revision);
        // An Application turns Degraded: the next frame shows it.
        let mut app = fixture::application("gateway-k8tre-dev").expect("app");
        app.status.health = Some(crate::domain::argocd::HealthInfo {
            status: Some(crate::domain::argocd::HealthStatus::Degraded),
            message: "gateway down".into(),
            ..Default::default()
        });
        let value = serde_json::to_value(&app).expect("json");
        let model = state.app.estate.as_ref().expect("estate");
        let event = replay::applied(
            model,
            "k8tre-mgmt",
            value,
            fixture::now() + Duration::seconds(1),
        )
        .expect("event");
        let _ = update(&mut state, Msg::Live(Box::new(event)));
        assert!(state.is_dirty());
        let text = screen_text(&mut state);
        let line = text
            .lines()
            .find(|l| l.contains("gateway-k8tre-dev"))
            .expect("row");
        assert!(line.contains("Degraded"), "{line}");
    }

    #[test]
    fn a_removed_cluster_secret_stops_its_connection() {
        let mut state = fixture::state(160, 48);
        let event = LiveEvent::Deleted {
            context: Arc::from("k8tre-mgmt"),
            watch: WatchKind::ClusterSecrets,
            at: fixture::now(),
            key: crate::live::ObjKey::new(Arc::from("argocd"), Arc::from("cluster-k8tre-stg")),
        };
        let effects = update(&mut state, Msg::Live(Box::new(event)));
        let [Effect::Connect(desired)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert!(!desired.contains_key("k8tre-stg"), "{desired:?}");
        assert!(desired.contains_key("k8tre-prd"));
        assert_eq!(state.mode(), Mode::Overview);
    }

    #[test]
    fn the_fetched_application_fills_the_detail() {
        let mut state = fixture::state(160, 48);
        state.prepare_frame();
        let effects = goto_target(&mut state, Target::App("argocd/backend-k8tre-prd".into()));
        assert!(screen_text(&mut state).contains("reading the whole Application"));
        fixture::run_effects(&mut state, effects);
        let text = screen_text(&mut state);
        assert!(!text.contains("reading the whole Application"), "{text}");
        press(&mut state, &["<Tab>", "<Tab>"]);
        let text = screen_text(&mut state);
        assert!(text.contains("SyncFailed"), "per-resource results:\n{text}");
    }

    #[test]
    fn overview_fits_at_80_by_24_and_follows_a_resize() {
        let mut state = fixture::state(80, 24);
        let text = screen_text(&mut state);
        for layer in ["Infrastructure", "Agnostics", "Application"] {
            assert!(text.contains(layer), "{layer}:\n{text}");
        }
        for env in ["DEV", "STG", "PRD"] {
            assert!(text.contains(env), "{env}:\n{text}");
        }
        assert!(
            text.lines()
                .all(|l| crate::ui::text::width(l.trim_end_matches('|')) == 80)
        );
        let _ = update(&mut state, Msg::Input(Event::Resize(300, 100)));
        let text = screen_text(&mut state);
        assert_eq!(text.lines().count(), 100);
        assert!(text.contains("Applications 50"));
    }

    #[test]
    fn the_mouse_focuses_panes_selects_and_scrolls() {
        use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
        use ratatui::layout::Rect;
        let mut state = fixture::state(160, 48);
        state.prepare_frame();
        let areas = crate::app::screens::OverviewAreas::new(Rect::new(0, 0, 160, 47), 3, 4);
        let mouse = |kind, column, row| {
            Msg::Input(Event::Mouse(MouseEvent {
                kind,
                column,
                row,
                modifiers: KeyModifiers::NONE,
            }))
        };
        // A click in the list focuses it and selects the row under the pointer.
        let row = areas.apps.y + 3;
        let _ = update(
            &mut state,
            mouse(MouseEventKind::Down(MouseButton::Left), 5, row),
        );
        assert_eq!(state.mode(), Mode::List);
        // A second click on the selected row opens it.
        let effects = update(
            &mut state,
            mouse(MouseEventKind::Down(MouseButton::Left), 5, row),
        );
        fixture::run_effects(&mut state, effects);
        assert_eq!(state.depth(), 2, "{}", screen_text(&mut state));
        let _ = update(&mut state, key("<Esc>"));
        // The wheel over the matrix moves its cursor; a click on the clusters pane focuses it.
        let _ = update(
            &mut state,
            mouse(
                MouseEventKind::ScrollDown,
                areas.matrix.x + 5,
                areas.matrix.y + 3,
            ),
        );
        let _ = update(
            &mut state,
            mouse(
                MouseEventKind::Down(MouseButton::Left),
                areas.clusters.x + 3,
                areas.clusters.y + 3,
            ),
        );
        assert_eq!(state.mode(), Mode::List);
        let _ = update(&mut state, key("<Enter>"));
        assert!(
            state.depth() == 2 && state.screen().title().starts_with("k8tre-"),
            "{}",
            state.screen().title()
        );
    }
}
