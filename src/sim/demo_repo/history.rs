//! The demo repository's history: a month of an estate's life, told as state changes with
//! fixed authors and dates so every creation gives the same commits.
//!
//! Where it leaves HEAD: jupyterhub (chart 4.3.0) and backend (image v1.4.0) are ahead in
//! dev of stg; keycloak (image 26.2.5) is ahead in stg of prd; cr8tor has gone all the way.

use super::model::{Env, RepoState};

/// Who made a commit: (name, email).
pub(super) type Author = (&'static str, &'static str);

const ALEX: Author = ("Alex Morgan", "alex.morgan@k8tre.example");
const SAM: Author = ("Sam Okafor", "sam.okafor@k8tre.example");

/// One commit: what changed, who, when and why.
pub(super) struct Step {
    pub author: Author,
    /// RFC 3339, used for both author and committer date.
    pub date: &'static str,
    pub message: &'static str,
    pub apply: fn(&mut RepoState),
}

pub(super) const HISTORY: &[Step] = &[
    Step {
        author: ALEX,
        date: "2026-03-02T09:12:00+00:00",
        message: "chore: bootstrap ApplicationSets and the root app-of-apps\n\n\
                  Every component gets an ApplicationSet (git directories x labelled clusters);\n\
                  nothing is deployed until env directories exist.",
        apply: |_| {},
    },
    Step {
        author: ALEX,
        date: "2026-03-02T10:40:00+00:00",
        message: "feat(agnostics): import cluster agnostics for k3s, azure and aws\n\n\
                  Env directories exist only where the estate has a cluster of that vendor:\n\
                  dev runs on k3s, stg on azure, prd on aws.",
        apply: |s| s.agnostics = true,
    },
    Step {
        author: SAM,
        date: "2026-03-03T09:05:00+00:00",
        message: "feat(apps): import identity, workspace, federation and observability apps",
        apply: |s| s.apps = true,
    },
    Step {
        author: ALEX,
        date: "2026-03-05T14:20:00+00:00",
        message: "chore(envs): label every env overlay with k8tre.io/environment",
        apply: |s| s.env_labels = true,
    },
    Step {
        author: SAM,
        date: "2026-03-09T10:00:00+00:00",
        message: "feat(jupyterhub): chart 4.1.0 → 4.2.0 in dev",
        apply: |s| s.jupyterhub_chart.set(Env::Dev, "4.2.0"),
    },
    Step {
        author: SAM,
        date: "2026-03-10T11:30:00+00:00",
        message: "feat(backend): image v1.2.0 → v1.3.0 in dev",
        apply: |s| s.backend_image.set(Env::Dev, "v1.3.0"),
    },
    Step {
        author: ALEX,
        date: "2026-03-12T09:45:00+00:00",
        message: "promote(jupyterhub): 4.2.0 dev → stg",
        apply: |s| s.jupyterhub_chart.promote(Env::Dev, Env::Stg),
    },
    Step {
        author: ALEX,
        date: "2026-03-12T10:10:00+00:00",
        message: "promote(backend): v1.3.0 dev → stg",
        apply: |s| s.backend_image.promote(Env::Dev, Env::Stg),
    },
    Step {
        author: ALEX,
        date: "2026-03-16T15:00:00+00:00",
        message: "fix(externaldns): rotate the stg workload identity client ID\n\n\
                  Env-pinned value: never promoted, never copied from another environment.",
        apply: |s| s.externaldns_stg_client_id = "8a4e6c2d-1f3b-4d5a-9e7c-6b8d0f2a4c1e",
    },
    Step {
        author: ALEX,
        date: "2026-03-17T09:30:00+00:00",
        message: "promote(jupyterhub): 4.2.0 stg → prd",
        apply: |s| s.jupyterhub_chart.promote(Env::Stg, Env::Prd),
    },
    Step {
        author: ALEX,
        date: "2026-03-18T09:30:00+00:00",
        message: "promote(backend): v1.3.0 stg → prd",
        apply: |s| s.backend_image.promote(Env::Stg, Env::Prd),
    },
    Step {
        author: SAM,
        date: "2026-03-19T13:00:00+00:00",
        message: "feat(cr8tor): cr8tor-publisher 0.1.64 → 0.1.65 in dev",
        apply: |s| s.cr8tor_publisher.set(Env::Dev, "0.1.65"),
    },
    Step {
        author: ALEX,
        date: "2026-03-20T16:45:00+00:00",
        message: "feat(gitea): enable the CNPG PodDisruptionBudget in prd\n\n\
                  Env-pinned value: dev and stg stay without a PDB so single nodes can drain.",
        apply: |s| s.gitea_pdb.set(Env::Prd, true),
    },
    Step {
        author: ALEX,
        date: "2026-03-23T10:00:00+00:00",
        message: "promote(cr8tor): 0.1.65 dev → stg",
        apply: |s| s.cr8tor_publisher.promote(Env::Dev, Env::Stg),
    },
    Step {
        author: SAM,
        date: "2026-03-24T11:15:00+00:00",
        message: "feat(keycloak): image 26.1.4 → 26.2.5 in dev",
        apply: |s| s.keycloak_image.set(Env::Dev, "26.2.5"),
    },
    Step {
        author: ALEX,
        date: "2026-03-25T09:40:00+00:00",
        message: "promote(cr8tor): 0.1.65 stg → prd",
        apply: |s| s.cr8tor_publisher.promote(Env::Stg, Env::Prd),
    },
    Step {
        author: ALEX,
        date: "2026-03-26T10:05:00+00:00",
        message: "promote(keycloak): 26.2.5 dev → stg",
        apply: |s| s.keycloak_image.promote(Env::Dev, Env::Stg),
    },
    Step {
        author: SAM,
        date: "2026-03-27T14:30:00+00:00",
        message: "feat(cert-manager): chart 1.17.2 → 1.18.0 in the shared base\n\n\
                  A base change reaches every environment at once; it is not a promotion.",
        apply: |s| s.cert_manager_chart = "1.18.0",
    },
    Step {
        author: SAM,
        date: "2026-03-30T10:20:00+00:00",
        message: "feat(jupyterhub): chart 4.2.0 → 4.3.0 in dev",
        apply: |s| s.jupyterhub_chart.set(Env::Dev, "4.3.0"),
    },
    Step {
        author: SAM,
        date: "2026-03-31T11:00:00+00:00",
        message: "feat(backend): image v1.3.0 → v1.4.0 in dev",
        apply: |s| s.backend_image.set(Env::Dev, "v1.4.0"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_increase_and_every_step_changes_the_state_after_the_first() {
        let mut state = RepoState::initial();
        for pair in HISTORY.windows(2) {
            assert!(
                pair[0].date < pair[1].date,
                "{} ≥ {}",
                pair[0].date,
                pair[1].date
            );
        }
        for (i, step) in HISTORY.iter().enumerate() {
            let before = state.clone();
            (step.apply)(&mut state);
            if i > 0 {
                assert_ne!(before, state, "step {:?} changes nothing", step.message);
            }
        }
    }
}
