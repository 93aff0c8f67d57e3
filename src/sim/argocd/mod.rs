//! The simulated ArgoCD: its CRDs and (as it grows) its controllers.

pub mod crds;
