//! The live estate: Kubernetes I/O turned into one incrementally updated model.
//!
//! ```text
//!  kubeconfig ──► discovery ──► Session::start ──► Supervisor (one kube Client per context)
//!                                  │                  └─ one task per (context, watch):
//!                                  │                     kube::runtime::watcher + default_backoff
//!                                  │                     wire types → slim objects → LiveEvent
//!                                  ▼                                          │ mpsc
//!                      EstateModel::apply(LiveEvent) ◄────────────────────────┘
//!                      EstateModel::refresh(now)  → clusters, matrix, expected (when dirty)
//! ```
//!
//! # Using it (the TUI's loop, or `status`)
//!
//! ```ignore
//! let mut session = Session::start(options).await?;     // discovery + management watches
//! loop {
//!     tokio::select! {
//!         Some(event) = session.recv() => session.apply(event), // never blocks, never relists
//!         _ = tick.tick() => { session.model_mut().refresh(Utc::now()); redraw(session.model()); }
//!     }
//! }
//! ```
//!
//! [`Session::apply`] also starts watchers for clusters that appear in ArgoCD's cluster Secrets
//! and stops those that disappear. Reads go through `&EstateModel`:
//! [`EstateModel::clusters`] (domain `Cluster`s with facts, connection state and freshness),
//! [`EstateModel::matrix`] (the layer × environment roll-up, worst first),
//! [`EstateModel::apps`] / [`EstateModel::app`], [`EstateModel::pods_of_app`],
//! [`EstateModel::events_of_app`], [`EstateModel::connection`] (per-watch truth and write
//! permissions), [`EstateModel::catalog`], [`EstateModel::expected`], [`EstateModel::warnings`].
//! [`report::StatusReport`] is the same model printed (the `status` subcommand's JSON).
//!
//! The TUI takes the session apart ([`Session::into_parts`]): its event loop owns the model and
//! applies the watchers' events as messages, its effect runner owns the supervisor, and
//! [`EstateModel::revision`] tells its screens when what they derived is out of date. A detail
//! view pins an Application ([`EstateModel::pin`]) so the model keeps the whole object for it;
//! every other Application is kept as a summary and an action basis
//! ([`objects::action_basis`]). [`replay`] feeds a model from objects without HTTP (tests,
//! benchmarks).
//!
//! # Connection truth
//!
//! Each watch is `connecting` until its first list, then `live`; a failure makes it
//! `reconnecting` (with the error and since when), and `unreachable` after
//! [`model::UNREACHABLE_AFTER`] failures in a row; a 403 makes it `forbidden` (verb and
//! resource). 410 Gone is not a failure: the watcher lists again and the model keeps its data
//! until the new list proves objects gone. Bookmarks and watch answers are seen by the
//! [`wiretap`] layer, so a quiet watch stays live and a silent one turns stale after the
//! configured threshold. A cluster is as good as its worst watch and as fresh as its
//! stalest; the domain roll-up never shows stale or unknown data as healthy.
//!
//! # Memory
//!
//! Watchers deserialize [`wire`] types that read only the fields shown; the model keeps
//! [`objects`] (slim rows) with strings shared through [`strings::SharedStrings`]. Pod and
//! event names are not interned (they churn); warning events are bounded per cluster.
//!
//! `live` imports `domain` (and `gitops` for the checkout scan), never `ui`, `app` or `sim`.

pub mod discovery;
pub mod event;
pub mod model;
pub mod objects;
pub mod replay;
pub mod report;
pub mod session;
pub mod strings;
pub mod supervisor;
pub mod watch;
pub mod wire;
pub mod wiretap;

pub use discovery::{Contexts, DiscoveryError, KubeconfigSource};
pub use event::{AccessCheck, ContextName, LiveEvent, LiveObject, ObjKey, WatchFailure, WatchKind};
pub use model::{EstateModel, ExpectedView, ModelSettings};
pub use report::StatusReport;
pub use session::{LiveOptions, ManagementChoice, Session, SessionError, SessionParts};
pub use strings::SharedStrings;
