//! `apps/<app>/...`: the Application layer (identity, workspaces, federation, observability),
//! each `apps/<app>/base` + `apps/<app>/envs/<env>`. The env overlays carry what promotion
//! moves (chart versions, image tags) and what it must not (domains, PDB flags, log levels).

use super::model::{Env, Files, KUSTOMIZATION, RepoState, overlay};

/// Adds every app.
pub(super) fn render(files: &mut Files, state: &RepoState) {
    files.add(
        "apps/README.md",
        "# Apps\n\nThe Application layer. `apps/<app>/envs/<env>` directories are deployed by the\n\
         ApplicationSets under `appsets/{identity,workspaces,federation,observability}`.\n",
    );
    backend(files, state);
    cr8tor(files, state);
    gitea(files, state);
    guacamole(files, state);
    jupyterhub(files, state);
    keycloak(files, state);
    observability_metrics(files, state);
}

/// An HTTPRoute publishing `service:port` as `<host>.${DOMAIN}` on the internal gateway.
fn route(name: &str, host: &str, service: &str, port: u16) -> String {
    format!(
        r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
spec:
  parentRefs:
    - name: internal-gateway
      namespace: gateway
      sectionName: https
  hostnames:
    - "{host}.${{DOMAIN}}"
  rules:
    - backendRefs:
        - name: {service}
          port: {port}
"#
    )
}

/// A CNPG cluster for an app's database.
fn postgres(name: &str, database: &str) -> String {
    format!(
        r#"apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: {name}
spec:
  instances: 2
  imageName: ghcr.io/cloudnative-pg/postgresql:16.6
  bootstrap:
    initdb:
      database: {database}
      owner: {database}
  storage:
    size: 5Gi
    storageClass: rwo-default
"#
    )
}

/// The PDB switch for a CNPG cluster: off where there is a single node to drain (dev, stg).
fn pdb_patch(cluster: &str, namespace: &str, enabled: bool) -> String {
    format!(
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: {cluster}\n  namespace: {namespace}\n\
         spec:\n  enablePDB: {enabled}\n"
    )
}

fn backend(files: &mut Files, state: &RepoState) {
    let dir = "apps/backend";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - backend-config.yaml\n  - service.yaml\n  - gateway-route.yaml\n  \
             - deployment.yaml\n"
        ),
    );
    files.add(
        format!("{dir}/base/backend-config.yaml"),
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: backend-config
data:
  keycloak_internal_url: http://keycloak-keycloakx-http.keycloak.svc
  keycloak_external_url: https://keycloak.${DOMAIN}
  keycloak_realm: k8tre
  audience: k8tre-backend
"#,
    );
    files.add(
        format!("{dir}/base/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: backend\nspec:\n  selector:\n    app: backend\n  \
         ports:\n    - name: http\n      port: 80\n      targetPort: 8000\n",
    );
    files.add(
        format!("{dir}/base/gateway-route.yaml"),
        route("backend", "portal", "backend", 80),
    );
    files.add(
        format!("{dir}/base/deployment.yaml"),
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
spec:
  replicas: 1
  selector:
    matchLabels:
      app: backend
  template:
    metadata:
      labels:
        app: backend
    spec:
      containers:
        - name: backend
          # The tag is set per environment by envs/<env>/image-patch.yaml.
          image: ghcr.io/k8tre/k8tre-backend
          ports:
            - containerPort: 8000
          env:
            - name: KEYCLOAK_INTERNAL_URL
              valueFrom:
                configMapKeyRef:
                  name: backend-config
                  key: keycloak_internal_url
            - name: KEYCLOAK_REALM
              valueFrom:
                configMapKeyRef:
                  name: backend-config
                  key: keycloak_realm
            - name: K8TRE_BACKEND
              value: "https://portal.${DOMAIN}"
            - name: K8TRE_ENV
              value: "${ENVIRONMENT}"
            - name: K8TRE_EXTERNAL_DOMAIN
              value: "${DOMAIN}"
"#,
    );
    for env in Env::ALL {
        let env_dir = format!("{dir}/envs/{}", env.name());
        files.add(
            format!("{env_dir}/kustomization.yaml"),
            overlay(
                state,
                env.name(),
                "namespace: backend\n\nresources:\n  - ../../base\n\npatches:\n  - path: image-patch.yaml\n    \
                 target:\n      kind: Deployment\n      name: backend\n",
            ),
        );
        files.add(
            format!("{env_dir}/image-patch.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: backend\nspec:\n  template:\n    spec:\n      \
                 containers:\n        - name: backend\n          image: ghcr.io/k8tre/k8tre-backend:{}\n",
                state.backend_image.get(env)
            ),
        );
    }
}

fn cr8tor(files: &mut Files, state: &RepoState) {
    let dir = "apps/cr8tor";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!("{KUSTOMIZATION}\nresources:\n  - cr8tor-configmap.yaml\n  - gateway-route.yaml\n"),
    );
    files.add(
        format!("{dir}/base/cr8tor-configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cr8tor-config\ndata:\n  \
         keycloak_url: https://keycloak.${DOMAIN}\n  environment: ${ENVIRONMENT}\n",
    );
    files.add(
        format!("{dir}/base/gateway-route.yaml"),
        route("cr8tor", "cr8tor", "cr8tor-approval-service", 8000),
    );
    for env in Env::ALL {
        let env_dir = format!("{dir}/envs/{}", env.name());
        let publisher = state.cr8tor_publisher.get(env);
        files.add(
            format!("{env_dir}/kustomization.yaml"),
            overlay(
                state,
                env.name(),
                &format!(
                    "helmCharts:\n  - name: cr8tor-publisher\n    repo: https://lsc-sde.github.io/iac-helm-repository/\n    \
                     version: {publisher}\n    releaseName: cr8tor\n    namespace: cr8tor\n    valuesFile: values.yaml\n\n  \
                     - name: cr8tor-operator\n    repo: oci://ghcr.io/karectl-crates/charts\n    version: 0.1.0-beta.2\n    \
                     releaseName: cr8tor-operator\n    namespace: cr8tor\n    valuesFile: operator-values.yaml\n\n\
                     resources:\n  - ../../base\n"
                ),
            ),
        );
        let image = |service: &str| {
            format!(
                "\"ghcr.io/lsc-sde-crates/cr8tor-publisher/cr8tor-{service}-service:{publisher}\""
            )
        };
        files.add(
            format!("{env_dir}/values.yaml"),
            format!(
                "approvalService:\n  image: {}\n  host: cr8tor.{domain}\nmetadataService:\n  image: {}\n\
                 publishService:\n  image: {}\n  storage:\n    storageClass: rwx-default\n",
                image("approval"),
                image("metadata"),
                image("publish"),
                domain = env.domain(),
            ),
        );
        files.add(
            format!("{env_dir}/operator-values.yaml"),
            "image:\n  repository: karectl-crates/cr8tor-operator\n  tag: \"0.1.0-beta.2\"\nwatchNamespace: cr8tor\n",
        );
    }
}

fn gitea(files: &mut Files, state: &RepoState) {
    let dir = "apps/gitea";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nnamespace: gitea\n\nresources:\n  - postgres.yaml\n  - gateway-route.yaml\n\n\
             helmCharts:\n  - name: gitea\n    repo: https://dl.gitea.com/charts/\n    version: 10.6.0\n    \
             releaseName: gitea\n    valuesFile: values.yaml\n"
        ),
    );
    files.add(
        format!("{dir}/base/values.yaml"),
        "image:\n  tag: \"1.22.6\"\npostgresql:\n  enabled: false\npostgresql-ha:\n  enabled: false\n\
         gitea:\n  config:\n    server:\n      ROOT_URL: https://gitea.${DOMAIN}\n    database:\n      \
         DB_TYPE: postgres\n      HOST: gitea-postgres-cluster-rw:5432\n",
    );
    files.add(
        format!("{dir}/base/postgres.yaml"),
        postgres("gitea-postgres-cluster", "gitea"),
    );
    files.add(
        format!("{dir}/base/gateway-route.yaml"),
        route("gitea", "gitea", "gitea-http", 3000),
    );
    for env in Env::ALL {
        let env_dir = format!("{dir}/envs/{}", env.name());
        files.add(
            format!("{env_dir}/kustomization.yaml"),
            overlay(
                state,
                env.name(),
                "namespace: gitea\n\nresources:\n  - ../../base\n\npatches:\n  - path: patch-cnpg-pdb.yaml\n",
            ),
        );
        files.add(
            format!("{env_dir}/patch-cnpg-pdb.yaml"),
            pdb_patch("gitea-postgres-cluster", "gitea", state.gitea_pdb.get(env)),
        );
    }
}

fn guacamole(files: &mut Files, state: &RepoState) {
    let dir = "apps/guacamole";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - gateway-route.yaml\n\nhelmCharts:\n  - name: guacamole\n    \
             repo: https://www.manicstreetpreacher.co.uk/helm-guacamole/\n    version: 0.1.2\n    \
             releaseName: guacamole\n    namespace: jupyterhub\n    valuesFile: guacamole-values.yaml\n"
        ),
    );
    files.add(
        format!("{dir}/base/guacamole-values.yaml"),
        "guacamole:\n  image:\n    repository: ghcr.io/k8tre/guacamole-json\n    tag: \"v1.0.0\"\n\
         auth:\n  json:\n    existingSecret: guacamole-json-secret\n",
    );
    files.add(
        format!("{dir}/base/gateway-route.yaml"),
        route("guacamole", "guacamole", "guacamole", 80),
    );
    for env in Env::ALL {
        files.add(
            format!("{dir}/envs/{}/kustomization.yaml", env.name()),
            overlay(
                state,
                env.name(),
                "namespace: jupyterhub\n\nresources:\n  - ../../base\n",
            ),
        );
    }
}

fn jupyterhub(files: &mut Files, state: &RepoState) {
    let dir = "apps/jupyterhub";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!("{KUSTOMIZATION}\nresources:\n  - gateway-route.yaml\n  - network-policy.yaml\n"),
    );
    files.add(
        format!("{dir}/base/gateway-route.yaml"),
        route("jupyterhub", "jupyter", "proxy-public", 80),
    );
    files.add(
        format!("{dir}/base/network-policy.yaml"),
        r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: singleuser-deny-egress
spec:
  podSelector:
    matchLabels:
      component: singleuser-server
  policyTypes:
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              component: hub
"#,
    );
    files.add(
        format!("{dir}/base/values.yaml"),
        r#"hub:
  extraConfig:
    k8tre: |
      exec(open("/usr/local/etc/jupyterhub/k8tre/spawner.py").read())
  extraVolumes:
    - name: k8tre-config
      configMap:
        name: jupyterhub-config
  extraVolumeMounts:
    - name: k8tre-config
      mountPath: /usr/local/etc/jupyterhub/k8tre
proxy:
  service:
    type: ClusterIP
singleuser:
  storage:
    dynamic:
      storageClass: rwx-default
"#,
    );
    files.add(
        format!("{dir}/base/config/spawner.py"),
        "# Spawn each workspace in its project's namespace.\n\
         c.KubeSpawner.enable_user_namespaces = True\n\
         c.KubeSpawner.user_namespace_template = \"k8tre-{username}\"\n",
    );
    for env in Env::ALL {
        files.add(
            format!("{dir}/envs/{}/kustomization.yaml", env.name()),
            overlay(
                state,
                env.name(),
                &format!(
                    "helmCharts:\n  - name: jupyterhub\n    repo: https://hub.jupyter.org/helm-chart/\n    \
                     version: {}\n    releaseName: jupyterhub\n    namespace: jupyterhub\n    \
                     valuesFile: ../../base/values.yaml\n\nresources:\n  - ../../base\n\n\
                     configMapGenerator:\n  - name: jupyterhub-config\n    files:\n      - ../../base/config/spawner.py\n",
                    state.jupyterhub_chart.get(env)
                ),
            ),
        );
    }
    // A stray `prod` overlay upstream still carries (old chart, no values file); it only
    // deploys to a cluster labelled environment=prod.
    files.add(
        format!("{dir}/envs/prod/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - ../../base\n\nhelmCharts:\n- name: jupyterhub\n  \
             repo: https://hub.jupyter.org/helm-chart/\n  version: 4.0.0\n  releaseName: jupyterhub\n  \
             # valuesFile: prod-values.yaml\n"
        ),
    );
    files.add(
        format!("{dir}/envs/prod/prod-values.yaml"),
        "singleuser:\n  image:\n    name: quay.io/jupyterhub/k8s-singleuser-sample\n    tag: latest\n",
    );
}

fn keycloak(files: &mut Files, state: &RepoState) {
    let dir = "apps/keycloak";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nnamespace: keycloak\n\nresources:\n  - statefulset.yaml\n  - service.yaml\n  \
             - postgres.yaml\n  - gateway-route.yaml\n"
        ),
    );
    files.add(
        format!("{dir}/base/statefulset.yaml"),
        r#"# Rendered from the codecentric keycloakx chart and kept as plain YAML so overlays can
# patch it directly.
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: keycloak-keycloakx
  labels:
    app.kubernetes.io/name: keycloakx
spec:
  serviceName: keycloak-keycloakx-headless
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: keycloakx
  template:
    metadata:
      labels:
        app.kubernetes.io/name: keycloakx
    spec:
      containers:
        - name: keycloak
          image: quay.io/keycloak/keycloak:26.1.4
          args: ["start", "--http-enabled=true", "--proxy-headers=xforwarded"]
          env:
            - name: KC_HOSTNAME
              value: "https://keycloak.${DOMAIN}"
            - name: KC_DB
              value: postgres
            - name: KC_DB_URL_HOST
              value: keycloak-postgres-rw
          ports:
            - name: http
              containerPort: 8080
"#,
    );
    files.add(
        format!("{dir}/base/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: keycloak-keycloakx-http\nspec:\n  selector:\n    \
         app.kubernetes.io/name: keycloakx\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n",
    );
    files.add(
        format!("{dir}/base/postgres.yaml"),
        postgres("keycloak-postgres", "keycloak"),
    );
    files.add(
        format!("{dir}/base/gateway-route.yaml"),
        route("keycloak", "keycloak", "keycloak-keycloakx-http", 80),
    );
    for env in Env::ALL {
        let env_dir = format!("{dir}/envs/{}", env.name());
        // dev and stg log at DEBUG; prd keeps the image default.
        let debug = env != Env::Prd;
        let env_patch = if debug {
            "  - path: patch-keycloak-env.yaml\n    target:\n      group: apps\n      version: v1\n      \
             kind: StatefulSet\n      name: keycloak-keycloakx\n"
        } else {
            ""
        };
        files.add(
            format!("{env_dir}/kustomization.yaml"),
            overlay(
                state,
                env.name(),
                &format!(
                    "resources:\n  - ../../base\n\nimages:\n  - name: quay.io/keycloak/keycloak\n    newTag: {}\n\n\
                     patches:\n  - path: patch-cnpg-pdb.yaml\n{env_patch}\n\
                     configMapGenerator:\n  - name: keycloak-config\n    literals:\n      - ENVIRONMENT=${{ENVIRONMENT}}\n      \
                     - DOMAIN=${{DOMAIN}}\n\ngeneratorOptions:\n  disableNameSuffixHash: true\n",
                    state.keycloak_image.get(env)
                ),
            ),
        );
        files.add(
            format!("{env_dir}/patch-cnpg-pdb.yaml"),
            pdb_patch("keycloak-postgres", "keycloak", env == Env::Prd),
        );
        if debug {
            files.add(
                format!("{env_dir}/patch-keycloak-env.yaml"),
                "- op: add\n  path: /spec/template/spec/containers/0/env/-\n  value:\n    name: KC_LOG_LEVEL\n    \
                 value: DEBUG\n",
            );
        }
    }
}

fn observability_metrics(files: &mut Files, state: &RepoState) {
    let dir = "apps/observability-metrics";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - gateway-route.yaml\n\nhelmCharts:\n  - name: kube-prometheus-stack\n    \
             releaseName: prometheus-community\n    version: 75.15.1\n    \
             repo: https://prometheus-community.github.io/helm-charts\n    namespace: observability\n    \
             valuesFile: values.yaml\n    includeCRDs: false\n"
        ),
    );
    files.add(
        format!("{dir}/base/values.yaml"),
        "grafana:\n  admin:\n    existingSecret: observability-grafana-secret\n  ingress:\n    enabled: false\n\
         prometheus:\n  prometheusSpec:\n    retention: 15d\n",
    );
    files.add(
        format!("{dir}/base/gateway-route.yaml"),
        route("grafana", "grafana", "prometheus-community-grafana", 80),
    );
    // Only production runs the metrics stack.
    files.add(
        format!("{dir}/envs/prd/kustomization.yaml"),
        overlay(state, "prd", "resources:\n  - ../../base\n"),
    );
}
