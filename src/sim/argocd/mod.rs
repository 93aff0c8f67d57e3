//! The simulated ArgoCD: its CRDs, its installation into a management cluster, and its
//! controllers (ApplicationSet and application controller) running in-process against the
//! simulated clusters and a real git repository.
//!
//! - [`install::install`] seeds a management cluster as ArgoCD's install manifest plus
//!   K8TRE's install steps leave it (see [`install::InstallOptions`]).
//! - [`ArgoCd::spawn`] starts the controllers; the [`ArgoCdHandle`] stops them and turns the
//!   knobs (speed, reconcile period, resource-health persistence, pause/resume).
//!
//! Making a sync fail on purpose (a scenario knob, see [`FAIL_SYNC_ANNOTATION`]): annotate the
//! Application, or a Namespace on the target, with `sim.k8tre.io/fail-sync: "<reason>"`; every
//! apply of the Application's syncs (or into that namespace) is then refused as by an
//! admission webhook. The ApplicationSet controller keeps `sim.k8tre.io/` annotations on the
//! Applications it generates. A failure can also come from git: commit a manifest the target
//! rejects (a kind it does not serve, a namespace missing without `CreateNamespace=true`, an
//! invalid field). Auto-sync then retries (limit 5) and records a `SyncError` condition.

pub mod app;
pub mod appset;
pub mod clock;
pub mod clusters;
pub mod crds;
pub mod diff;
pub mod events;
pub mod install;
pub mod kube;
pub mod prerequisites;
pub mod queue;
pub mod render;
pub mod repo;
pub mod run;
pub mod runtime;
pub mod settings;
pub mod tracking;

pub use app::apply::FAIL_SYNC_ANNOTATION;
pub use install::{ClusterRegistration, InstallError, InstallOptions, install};
pub use run::{ArgoCd, ArgoCdHandle, ArgoCdOptions};
