//! What every screen and flow may read: configuration, keymap, where the console points, the
//! clock. The live estate model joins here when it exists.

use std::cell::Cell;
use std::time::Instant;

use super::nav::Target;
use crate::config::{Config, ConfirmPolicy, Keymap};
use crate::domain::env::Environment;
use crate::ui::palette::Candidate;
use crate::ui::status::Connections;

#[derive(Debug)]
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
            candidates: Vec::new(),
            ids: Cell::new(0),
        }
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
}
