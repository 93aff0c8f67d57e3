//! What every screen and flow may read: configuration, keymap, where the console points, the
//! clock, and the live estate model (owned here, so the event loop owns it: watchers' events
//! are applied by `update`, derived views refreshed once per frame).

use std::cell::Cell;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::nav::Target;
use crate::config::{Config, ConfirmPolicy, Keymap};
use crate::domain::env::Environment;
use crate::live::EstateModel;
use crate::ui::palette::Candidate;
use crate::ui::status::Connections;

pub struct AppContext {
    pub config: Config,
    pub keymap: Keymap,
    /// `--read-only` or `read_only: true`: every action is disabled, visibly.
    pub read_only: bool,
    /// Against the simulated estate (`demo`): the SIMULATED badge shows.
    pub simulated: bool,
    /// The kubeconfig context in use.
    pub context: String,
    /// The management cluster's name.
    pub management: String,
    /// The user actions are recorded as (`initiatedBy.username`, audit log).
    pub user: String,
    pub connections: Option<Connections>,
    /// The clock as shown (minutes); empty before the first tick.
    pub clock: String,
    /// Monotonic time of the last tick (toasts expire against it).
    pub now: Instant,
    /// Wall-clock time of the last tick or frame: ages and staleness are measured against it.
    pub wall: DateTime<Utc>,
    /// The live estate; `None` in programs that show no estate (the harness, log-only tests).
    pub estate: Option<EstateModel>,
    /// Extra palette entries (apps, clusters, environments), kept by whoever knows them.
    pub candidates: Vec<Candidate<Target>>,
    ids: Cell<u64>,
}

impl AppContext {
    pub fn new(config: Config, keymap: Keymap) -> AppContext {
        AppContext {
            read_only: config.read_only,
            config,
            keymap,
            simulated: false,
            context: String::new(),
            management: String::new(),
            user: String::new(),
            connections: None,
            clock: String::new(),
            now: Instant::now(),
            wall: Utc::now(),
            estate: None,
            candidates: Vec::new(),
            ids: Cell::new(0),
        }
    }

    /// The wall clock's minute: the ages views show change with it, so their caches key on it.
    pub fn minute(&self) -> i64 {
        self.wall.timestamp() / 60
    }

    /// A fresh id for action requests and log streams (never 0).
    pub fn next_id(&self) -> u64 {
        let id = self.ids.get() + 1;
        self.ids.set(id);
        id
    }

    pub fn confirm_policy(&self, environment: &Environment) -> ConfirmPolicy {
        self.config.confirm_policy(environment)
    }

    /// With the live estate.
    pub fn with_estate(mut self, model: EstateModel) -> AppContext {
        self.estate = Some(model);
        self
    }

    /// The model's revision (0 without an estate): what caches of derived data key on.
    pub fn revision(&self) -> u64 {
        self.estate.as_ref().map_or(0, EstateModel::revision)
    }
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext")
            .field("read_only", &self.read_only)
            .field("simulated", &self.simulated)
            .field("context", &self.context)
            .field("management", &self.management)
            .field("user", &self.user)
            .field("estate", &self.estate.as_ref().map(EstateModel::revision))
            .finish_non_exhaustive()
    }
}
