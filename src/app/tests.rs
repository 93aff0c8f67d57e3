//! Unit tests of `update`: keys and messages in, state and effects out.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use chrono::{FixedOffset, TimeZone};
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use insta::assert_snapshot;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::*;
use crate::app::flows::Steps;
use crate::app::screens::LogsScreen;
use crate::config::{Command, Config, KeySpec, Keymap, Mode};
use crate::domain::env::Environment;
use crate::ui::palette::{Candidate, CandidateKind};
use crate::ui::table::{self, CellText, Column, TableOutcome, TableProps, TableRow, TableState};
use crate::ui::testing;

/// A list of apps on the shared table: what the real screens will look like.
struct Apps {
    rows: Vec<Row>,
    table: TableState,
}

struct Row {
    name: String,
    environment: Environment,
}

impl TableRow for Row {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::new(self.name.as_str()),
            _ => CellText::new(self.environment.as_str()),
        }
    }
}

const COLUMNS: &[Column] = &[
    Column::new("NAME").width(10, 30).highlights_filter(),
    Column::new("ENV").width(3, 5),
];

impl Apps {
    fn new() -> Apps {
        let rows = ["jupyterhub", "keycloak", "guacamole"]
            .iter()
            .flat_map(|c| {
                Environment::PROMOTION_ORDER.iter().map(move |e| Row {
                    name: format!("{c}-{}", e.as_str()),
                    environment: e.clone(),
                })
            })
            .collect();
        Apps {
            rows,
            table: TableState::new(),
        }
    }

    fn props(&self) -> TableProps<'_, Row> {
        TableProps {
            title: "Applications",
            columns: COLUMNS,
            rows: &self.rows,
            empty: "no Applications",
        }
    }

    fn selected(&self) -> Option<&Row> {
        let key = self.table.selected_key().unwrap_or("jupyterhub-dev");
        self.rows.iter().find(|r| r.name == key)
    }

    fn request(&self, command: Command) -> Option<ActionRequest> {
        let row = self.selected()?;
        let kind = ActionKind::from_command(command, false)?;
        Some(ActionRequest::new(
            kind,
            ActionTarget {
                namespace: "argocd".into(),
                app: row.name.clone(),
                environment: row.environment.clone(),
                cluster: format!("k8tre-{}", row.environment),
                context: "k8tre-mgmt".into(),
            },
            serde_json::json!({"operation": {"sync": {"prune": false}}}),
            "100",
        ))
    }
}

impl Component for Apps {
    fn mode(&self) -> Mode {
        self.table.mode()
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        table::render(
            frame,
            area,
            &self.props(),
            &self.table,
            cx.theme,
            cx.focused,
        );
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        if let Some(request) = self.request(command) {
            cx.confirm(request);
            return Handled::Yes;
        }
        let props = TableProps {
            title: "Applications",
            columns: COLUMNS,
            rows: &self.rows,
            empty: "",
        };
        match self.table.on_command(command, &props, cx.area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(key) => {
                cx.goto(Target::App(format!("argocd/{key}")));
                Handled::Yes
            }
        }
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.table.on_text(key))
    }

    fn on_mouse(&mut self, mouse: MouseEvent, cx: &mut Cx<'_>) -> Handled {
        let props = TableProps {
            title: "Applications",
            columns: COLUMNS,
            rows: &self.rows,
            empty: "",
        };
        match self.table.on_mouse(mouse, &props, cx.area) {
            TableOutcome::Ignored => Handled::No,
            _ => Handled::Yes,
        }
    }
}

impl Screen for Apps {
    fn title(&self) -> String {
        "Applications".into()
    }

    fn candidates(&self, _app: &AppContext) -> Vec<Candidate<Target>> {
        self.rows
            .iter()
            .map(|r| Candidate {
                kind: CandidateKind::App,
                label: format!("argocd/{}", r.name),
                detail: String::new(),
                value: Target::App(format!("argocd/{}", r.name)),
            })
            .collect()
    }
}

/// Opens a log screen for an app target.
struct LogsRouter;

impl Router for LogsRouter {
    fn route(&self, target: &Target, app: &AppContext) -> Option<Box<dyn Screen>> {
        match target {
            Target::App(name) => Some(Box::new(LogsScreen::new(LogRequest {
                stream: app.next_id(),
                context: "k8tre-dev".into(),
                namespace: "jupyterhub".into(),
                pod: format!("{}-0", name.trim_start_matches("argocd/")),
                container: Some("hub".into()),
                tail_lines: Some(100),
                follow: true,
                previous: false,
            }))),
            _ => None,
        }
    }
}

fn context(config: Config) -> AppContext {
    let keymap = Keymap::with_overrides(&config);
    let mut app = AppContext::new(config, keymap);
    app.context = "k8tre-mgmt".into();
    app.management = "in-cluster".into();
    app.simulated = true;
    app.user = "alice".into();
    app.clock = "10:00".into();
    app
}

fn state_with(config: Config) -> AppState {
    let mut state = AppState::new(
        context(config),
        Box::new(Apps::new()),
        Rect::new(0, 0, 80, 24),
    )
    .with_router(Box::new(LogsRouter));
    assert!(start(&mut state).is_empty());
    state
}

fn state() -> AppState {
    state_with(Config::default())
}

fn key(spec: &str) -> Msg {
    let key: KeySpec = spec.parse().expect("key spec");
    Msg::Input(Event::Key(key.to_event()))
}

fn press(state: &mut AppState, keys: &[&str]) -> Vec<Effect> {
    keys.iter().flat_map(|k| update(state, key(k))).collect()
}

fn typed(state: &mut AppState, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| {
            update(
                state,
                Msg::Input(Event::Key(KeyEvent::new(
                    KeyCode::Char(c),
                    KeyModifiers::NONE,
                ))),
            )
        })
        .collect()
}

fn frame(state: &AppState, width: u16, height: u16) -> String {
    let theme = testing::theme();
    testing::render(width, height, |frame, _| {
        crate::ui::root::render(frame, state, &theme)
    })
}

fn action_effect(effects: &[Effect]) -> (ActionRequest, bool) {
    match effects {
        [Effect::Action { request, dry_run }] => (request.clone(), *dry_run),
        other => panic!("expected one action effect, got {other:?}"),
    }
}

#[test]
fn quit_is_an_effect() {
    let mut state = state();
    assert_eq!(press(&mut state, &["q"]), vec![Effect::Quit]);
    assert_eq!(press(&mut state, &["<Ctrl-c>"]), vec![Effect::Quit]);
}

#[test]
fn movement_keys_reach_the_screen_and_mark_it_dirty() {
    let mut state = state();
    state.mark_drawn();
    press(&mut state, &["j", "<Down>"]);
    assert!(state.is_dirty());
    assert!(frame(&state, 80, 24).contains("guacamole-dev"));
    state.mark_drawn();
    // A key that means nothing here changes nothing and asks for no frame.
    press(&mut state, &["z"]);
    assert!(!state.is_dirty());
}

#[test]
fn help_shows_the_screen_mode_and_closes() {
    let mut state = state();
    press(&mut state, &["?"]);
    assert_eq!(state.flow().map(|f| f.title()), Some("Keys: list".into()));
    assert_eq!(state.mode(), Mode::Global);
    assert!(frame(&state, 80, 24).contains("Sync the selected Application"));
    press(&mut state, &["?"]);
    assert!(state.flow().is_none());
    press(&mut state, &["?", "<Esc>"]);
    assert!(state.flow().is_none());
}

#[test]
fn filter_typing_goes_to_the_screen_in_text_mode() {
    let mut state = state();
    press(&mut state, &["/"]);
    assert_eq!(state.mode(), Mode::Palette);
    // `q` is text here, not quit.
    assert!(typed(&mut state, "keyq").is_empty());
    press(&mut state, &["<Backspace>"]);
    press(&mut state, &["<Enter>"]);
    assert_eq!(state.mode(), Mode::List);
    let text = frame(&state, 80, 24);
    assert!(text.contains("/key"), "{text}");
    assert!(!text.contains("jupyterhub-dev"), "{text}");
}

#[test]
fn sync_opens_a_confirmation_that_dry_runs_then_applies() {
    let mut state = state();
    let effects = press(&mut state, &["j", "s"]);
    let (request, dry_run) = action_effect(&effects);
    assert!(dry_run);
    assert_eq!(request.target.app, "jupyterhub-stg");
    assert_ne!(request.id, 0);
    assert_eq!(state.mode(), Mode::Confirm);
    // Enter before the dry run answers runs nothing.
    assert!(press(&mut state, &["<Enter>"]).is_empty());
    let dry = ActionResult::for_request(&request, true, Ok("dry run passed".into()));
    assert!(update(&mut state, Msg::Action(dry)).is_empty());
    let (_, dry_run) = action_effect(&press(&mut state, &["<Enter>"]));
    assert!(!dry_run, "keypress policy: Enter applies");
    let applied = ActionResult::for_request(&request, false, Ok("applied".into()));
    update(&mut state, Msg::Action(applied));
    assert!(state.flow().is_none(), "closes after success");
    let toast = state.toasts.iter().next().expect("a notice");
    assert_eq!(toast.text, "argocd/jupyterhub-stg: sync started (applied)");
}

#[test]
fn prd_needs_the_typed_name() {
    let mut state = state();
    let effects = press(&mut state, &["G", "s"]);
    let (request, _) = action_effect(&effects);
    assert_eq!(request.target.environment, Environment::Prd);
    update(
        &mut state,
        Msg::Action(ActionResult::for_request(&request, true, Ok("ok".into()))),
    );
    assert!(press(&mut state, &["<Enter>"]).is_empty());
    typed(&mut state, "prd");
    let (_, dry_run) = action_effect(&press(&mut state, &["<Enter>"]));
    assert!(!dry_run);
}

#[test]
fn the_policy_comes_from_the_config() {
    let config: Config = serde_yaml::from_str("confirm:\n  dev: none\n").expect("config");
    let mut state = state_with(config);
    let (request, _) = action_effect(&press(&mut state, &["s"]));
    let effects = update(
        &mut state,
        Msg::Action(ActionResult::for_request(&request, true, Ok("ok".into()))),
    );
    let (_, dry_run) = action_effect(&effects);
    assert!(!dry_run, "policy none applies right after the dry run");
}

#[test]
fn read_only_never_runs_an_action() {
    let config = Config {
        read_only: true,
        ..Config::default()
    };
    let mut state = state_with(config);
    assert!(press(&mut state, &["s"]).is_empty());
    assert!(frame(&state, 80, 24).contains("read-only: actions disabled"));
    assert!(press(&mut state, &["<Enter>"]).is_empty());
    assert!(state.flow().is_none());
}

#[test]
fn results_of_closed_dialogs_become_notices() {
    let mut state = state();
    let (request, _) = action_effect(&press(&mut state, &["s"]));
    press(&mut state, &["<Esc>"]);
    assert!(state.flow().is_none());
    let conflict = ActionResult::for_request(
        &request,
        false,
        Err(ActionError::new(
            ActionErrorKind::Conflict,
            "the object has been modified",
        )),
    );
    update(&mut state, Msg::Action(conflict));
    let toast = state.toasts.iter().next().expect("a notice");
    assert!(
        toast
            .text
            .starts_with("argocd/jupyterhub-dev: sync failed: conflict"),
        "{}",
        toast.text
    );
}

#[test]
fn the_palette_runs_commands_and_goes_to_apps() {
    let mut state = state();
    press(&mut state, &[":"]);
    assert_eq!(state.mode(), Mode::Palette);
    typed(&mut state, "sync-prune");
    let (request, dry_run) = action_effect(&press(&mut state, &["<Enter>"]));
    assert!(dry_run);
    assert_eq!(request.kind, ActionKind::Sync { prune: true });
    press(&mut state, &["<Esc>"]);
    press(&mut state, &[":"]);
    typed(&mut state, "kcstg");
    let effects = press(&mut state, &["<Enter>"]);
    assert_eq!(state.depth(), 2, "the router opened a screen");
    assert!(matches!(&effects[..], [Effect::OpenLogs(request)] if request.pod == "keycloak-stg-0"));
}

#[test]
fn back_closes_screens_and_their_streams_but_never_the_root() {
    let mut state = state();
    let effects = press(&mut state, &["<Enter>"]);
    let Some(Effect::OpenLogs(request)) = effects.first() else {
        panic!("{effects:?}");
    };
    let stream = request.stream;
    assert_eq!(state.mode(), Mode::Logs);
    let chunk = LogChunk {
        stream,
        event: LogEvent::Lines(vec!["hub ready".into(), "GET /hub/api 200".into()]),
    };
    state.mark_drawn();
    update(&mut state, Msg::Log(chunk));
    assert!(state.is_dirty());
    assert!(frame(&state, 80, 24).contains("GET /hub/api 200"));
    // Chunks of other streams change nothing.
    state.mark_drawn();
    let other = LogChunk {
        stream: stream + 100,
        event: LogEvent::Lines(vec!["x".into()]),
    };
    update(&mut state, Msg::Log(other));
    assert!(!state.is_dirty());
    assert_eq!(
        press(&mut state, &["<Esc>"]),
        vec![Effect::CloseLogs(stream)]
    );
    assert_eq!(state.depth(), 1);
    assert!(press(&mut state, &["<Esc>"]).is_empty());
    assert_eq!(state.depth(), 1);
}

#[test]
fn unroutable_targets_say_so() {
    let mut state = state();
    press(&mut state, &["t"]);
    let toast = state.toasts.iter().next().expect("notice");
    assert_eq!(toast.text, "triage: not available here");
}

#[test]
fn the_clock_redraws_once_a_minute_and_toasts_expire() {
    let mut state = state();
    let offset = FixedOffset::east_opt(0).expect("utc");
    let at = |h, m, s| {
        offset
            .with_ymd_and_hms(2026, 8, 22, h, m, s)
            .single()
            .expect("time")
    };
    let start = Instant::now();
    update(
        &mut state,
        Msg::Tick(Tick {
            wall: at(10, 0, 0),
            mono: start,
        }),
    );
    state.mark_drawn();
    for second in 1..60 {
        update(
            &mut state,
            Msg::Tick(Tick {
                wall: at(10, 0, second),
                mono: start + Duration::from_secs(u64::from(second)),
            }),
        );
        assert!(!state.is_dirty(), "second {second} asked for a frame");
    }
    update(
        &mut state,
        Msg::Tick(Tick {
            wall: at(10, 1, 0),
            mono: start + Duration::from_secs(60),
        }),
    );
    assert!(state.is_dirty());
    assert!(frame(&state, 80, 24).contains("10:01"));
    press(&mut state, &["t"]);
    state.mark_drawn();
    update(
        &mut state,
        Msg::Tick(Tick {
            wall: at(10, 1, 1),
            mono: start + Duration::from_secs(61),
        }),
    );
    assert!(!state.is_dirty());
    update(
        &mut state,
        Msg::Tick(Tick {
            wall: at(10, 1, 9),
            mono: start + Duration::from_secs(69),
        }),
    );
    assert!(state.is_dirty(), "the toast expired");
    assert!(state.toasts.is_empty());
}

#[test]
fn resize_is_immediate_and_mouse_goes_to_the_screen() {
    let mut state = state();
    state.mark_drawn();
    update(&mut state, Msg::Input(Event::Resize(160, 48)));
    assert!(state.is_dirty());
    assert_eq!(state.layout().body, Rect::new(0, 0, 160, 47));
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 4,
        row: 4,
        modifiers: KeyModifiers::NONE,
    };
    update(&mut state, Msg::Input(Event::Mouse(click)));
    let text = frame(&state, 160, 48);
    assert!(text.contains("jupyterhub-prd"));
    // Sync now targets the clicked row.
    let (request, _) = action_effect(&press(&mut state, &["s"]));
    assert_eq!(request.target.app, "jupyterhub-prd");
}

#[test]
fn user_keymaps_drive_everything() {
    let config: Config =
        serde_yaml::from_str("keymap:\n  list:\n    sync: <Ctrl-s>\n  global:\n    quit: Q\n")
            .expect("config");
    let mut state = state_with(config);
    assert!(press(&mut state, &["s"]).is_empty());
    assert!(press(&mut state, &["q"]).is_empty());
    assert!(action_effect(&press(&mut state, &["<Ctrl-s>"])).1);
    press(&mut state, &["<Esc>"]);
    assert_eq!(press(&mut state, &["Q"]), vec![Effect::Quit]);
}

/// A two-step wizard: a job in step one, its result moves it on. Shows a wizard is just a flow.
struct Wizard {
    steps: Steps,
    job: Option<u64>,
}

impl Component for Wizard {
    fn mode(&self) -> Mode {
        Mode::Wizard
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        self.steps
            .render(frame, Rect { height: 1, ..area }, cx.theme);
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        match (command, self.steps.current()) {
            (Command::Accept, 0) => {
                let request = ActionRequest::new(
                    ActionKind::Refresh { hard: false },
                    ActionTarget {
                        namespace: "argocd".into(),
                        app: "web".into(),
                        environment: Environment::Dev,
                        cluster: "dev".into(),
                        context: "mgmt".into(),
                    },
                    serde_json::json!({}),
                    "1",
                );
                let mut request = request;
                request.id = cx.app.next_id();
                self.job = Some(request.id);
                cx.effect(Effect::Action {
                    request,
                    dry_run: true,
                });
                Handled::Yes
            }
            (Command::Accept, _) => {
                cx.close();
                Handled::Yes
            }
            _ => Handled::No,
        }
    }

    fn on_msg(&mut self, msg: &Msg, _cx: &mut Cx<'_>) -> Handled {
        match msg {
            Msg::Action(result) if Some(result.id) == self.job => {
                Handled::from(self.steps.advance())
            }
            _ => Handled::No,
        }
    }
}

impl Flow for Wizard {
    fn title(&self) -> String {
        format!("Wizard: {}", self.steps.name())
    }

    fn progress(&self) -> Option<(usize, usize)> {
        Some((self.steps.current(), self.steps.len()))
    }
}

#[test]
fn a_wizard_is_a_flow_with_steps() {
    let mut state = state();
    // A screen would ask with `cx.open(..)`; the request lands the flow on the stack.
    state.flows.push(Box::new(Wizard {
        steps: Steps::new(&["Plan", "Review"]),
        job: None,
    }));
    let effects = press(&mut state, &["<Enter>"]);
    let (request, _) = action_effect(&effects);
    assert_eq!(state.mode(), Mode::Wizard);
    assert_eq!(state.flow().and_then(|f| f.progress()), Some((0, 2)));
    update(
        &mut state,
        Msg::Action(ActionResult::for_request(&request, true, Ok("ok".into()))),
    );
    assert_eq!(
        state.flow().map(|f| f.title()),
        Some("Wizard: Review".into())
    );
    assert!(frame(&state, 80, 24).contains("1 Plan › 2 Review"));
    press(&mut state, &["<Enter>"]);
    assert!(state.flow().is_none());
}

#[test]
fn whole_frames_at_both_sizes() {
    for (width, height) in testing::SIZES {
        let mut state = state();
        update(&mut state, Msg::Input(Event::Resize(width, height)));
        assert_snapshot!(
            format!("frame_list_{width}x{height}"),
            frame(&state, width, height)
        );
        press(&mut state, &["G", "s"]);
        assert_snapshot!(
            format!("frame_confirm_{width}x{height}"),
            frame(&state, width, height)
        );
        press(&mut state, &["<Esc>", ":"]);
        typed(&mut state, "hub");
        assert_snapshot!(
            format!("frame_palette_{width}x{height}"),
            frame(&state, width, height)
        );
    }
}
