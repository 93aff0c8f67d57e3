//! `agnostics/<component>/...`: the cluster-level components, in upstream's vendor-neutral
//! (`<comp>/base` + `<comp>/envs/<env>`) and vendor-specific (`<comp>/<vendor>/base` +
//! `<comp>/<vendor>/envs/<env>`) layouts. Manifests are small but real, so a renderer has
//! something to render; charts are referenced, not vendored.

use super::model::{Env, Files, KUSTOMIZATION, RepoState, Vendor, envs_for, overlay};

const TO_BASE: &str = "resources:\n  - ../../base\n";

/// Adds every agnostic component.
pub(super) fn render(files: &mut Files, state: &RepoState) {
    files.add(
        "agnostics/README.md",
        "# Agnostics\n\nCluster services every K8TRE needs, whatever the cloud. One directory per\n\
         component; `envs/<env>` (or `<vendor>/envs/<env>`) directories are what the\n\
         ApplicationSets in `appsets/agnostics/` deploy.\n",
    );
    ad(files, state);
    cert_manager(files, state);
    cluster_autoscaler(files, state);
    cnpg(files, state);
    default_network_policy(files, state);
    external_secrets(files, state);
    externaldns(files, state);
    gateway(files, state);
    kare_dns(files, state);
    loadbalancer(files, state);
    nginx(files, state);
    object_storage(files, state);
    secret_store(files, state);
    storage_class(files, state);
}

/// A kustomization that is only a list of resources.
fn resources(names: &[&str]) -> String {
    let mut text = format!("{KUSTOMIZATION}\nresources:\n");
    for name in names {
        text.push_str(&format!("  - {name}\n"));
    }
    text
}

/// A kustomization that inflates one Helm chart (plus optional extra resources).
fn helm_base(chart: &str, repo: &str, version: &str, release: &str, namespace: &str) -> String {
    format!(
        "{KUSTOMIZATION}\nhelmCharts:\n  - name: {chart}\n    repo: {repo}\n    version: {version}\n    \
         releaseName: {release}\n    namespace: {namespace}\n    valuesFile: values.yaml\n"
    )
}

/// `<prefix>/envs/<env>/kustomization.yaml` pointing at `../../base`, for each env.
fn plain_overlays(files: &mut Files, state: &RepoState, prefix: &str, envs: &[Env]) {
    for env in envs {
        files.add(
            format!("{prefix}/envs/{}/kustomization.yaml", env.name()),
            overlay(state, env.name(), TO_BASE),
        );
    }
}

fn ad(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/ad";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - ad-service.yaml\n  - samba-dc.yaml\n\n\
             configMapGenerator:\n  - name: samba-init-scripts\n    files:\n      - samba-init.sh\n"
        ),
    );
    files.add(
        format!("{dir}/base/ad-service.yaml"),
        r#"apiVersion: v1
kind: Service
metadata:
  name: samba-ad
  labels:
    app.kubernetes.io/name: samba-ad
spec:
  selector:
    app.kubernetes.io/name: samba-ad
  ports:
    - name: ldap
      port: 389
    - name: ldaps
      port: 636
    - name: kerberos
      port: 88
    - name: smb
      port: 445
"#,
    );
    files.add(
        format!("{dir}/base/samba-dc.yaml"),
        r#"apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: samba-ad
spec:
  serviceName: samba-ad
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: samba-ad
  template:
    metadata:
      labels:
        app.kubernetes.io/name: samba-ad
    spec:
      containers:
        - name: samba-dc
          image: ghcr.io/k8tre/k8tre-samba-dc:v0.1.0
          command: ["/bin/sh", "/scripts/samba-init.sh"]
          env:
            - name: SAMBA_DNS_DOMAIN
              value: "ad.${DOMAIN}"
            - name: K8TRE_ENVIRONMENT
              value: "${ENVIRONMENT}"
          ports:
            - containerPort: 389
            - containerPort: 636
            - containerPort: 88
            - containerPort: 445
          volumeMounts:
            - name: scripts
              mountPath: /scripts
      volumes:
        - name: scripts
          configMap:
            name: samba-init-scripts
"#,
    );
    files.add(
        format!("{dir}/base/samba-init.sh"),
        "#!/bin/sh\n# Provision the domain on first start, then run samba in the foreground.\nset -eu\n\
         if [ ! -f /var/lib/samba/private/sam.ldb ]; then\n  \
         samba-tool domain provision --use-rfc2307 --realm=\"$SAMBA_DNS_DOMAIN\" --domain=K8TRE\nfi\n\
         exec samba --foreground --no-process-group\n",
    );
    plain_overlays(files, state, dir, &Env::ALL);
}

fn cert_manager(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/cert-manager";
    files.add(
        format!("{dir}/README.md"),
        "# cert-manager\n\nThe chart and the self-signed issuer live in the shared `base/`; each vendor\n\
         adds its own issuers. `envs/dev` at the top level predates the vendor split and is not\n\
         matched by the ApplicationSet (its pattern has a vendor segment).\n",
    );
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - selfsigned-clusterissuer.yaml\n  - certificate.yaml\n\n\
             helmCharts:\n  - name: cert-manager\n    repo: https://charts.jetstack.io\n    \
             version: {}\n    releaseName: cert-manager\n    namespace: cert-manager\n    \
             valuesFile: values.yaml\n",
            state.cert_manager_chart
        ),
    );
    files.add(
        format!("{dir}/base/values.yaml"),
        "crds:\n  enabled: true\nprometheus:\n  enabled: false\n",
    );
    files.add(
        format!("{dir}/base/selfsigned-clusterissuer.yaml"),
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: selfsigned\nspec:\n  selfSigned: {}\n",
    );
    files.add(
        format!("{dir}/base/certificate.yaml"),
        r#"apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: k8tre-tls
  namespace: gateway
spec:
  secretName: gw-tls
  dnsNames:
    - "*.${DOMAIN}"
  issuerRef:
    kind: ClusterIssuer
    name: selfsigned
"#,
    );
    for vendor in [Vendor::K3s, Vendor::Aws] {
        files.add(
            format!("{dir}/{}/base/kustomization.yaml", vendor.name()),
            resources(&["../../base"]),
        );
    }
    files.add(
        format!("{dir}/azure/base/kustomization.yaml"),
        resources(&["../../base", "letsencrypt-clusterissuer.yaml"]),
    );
    files.add(
        format!("{dir}/azure/base/letsencrypt-clusterissuer.yaml"),
        r#"apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt-ca
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    email: platform@k8tre.example
    privateKeySecretRef:
      name: letsencrypt-ca-account
    solvers:
      - dns01:
          azureDNS:
            resourceGroupName: rg-k8tre-dns
            subscriptionID: 7d3c1a52-90b4-4f0e-8c1d-2b6e9f4a3c80
            hostedZoneName: k8tre.org
            environment: AzurePublicCloud
            managedIdentity:
              clientID: set-per-environment
"#,
    );
    for env in envs_for(&[Vendor::K3s, Vendor::Aws]) {
        files.add(
            format!(
                "{dir}/{}/envs/{}/kustomization.yaml",
                env.vendor().name(),
                env.name()
            ),
            overlay(state, env.name(), TO_BASE),
        );
    }
    for env in envs_for(&[Vendor::Azure]) {
        let env_dir = format!("{dir}/azure/envs/{}", env.name());
        files.add(
            format!("{env_dir}/kustomization.yaml"),
            overlay(
                state,
                env.name(),
                "resources:\n  - ../../base\n\npatches:\n  - path: letsencrypt-issuer-patch.yaml\n    \
                 target:\n      kind: ClusterIssuer\n      name: letsencrypt-ca\n",
            ),
        );
        files.add(
            format!("{env_dir}/letsencrypt-issuer-patch.yaml"),
            "- op: replace\n  path: /spec/acme/solvers/0/dns01/azureDNS/managedIdentity/clientID\n  \
             value: 0c7e5a91-4b2d-4f3e-a6c8-9d1b2e3f4a5b\n",
        );
    }
    // The pre-vendor-split overlay upstream still carries; no ApplicationSet matches it.
    files.add(
        format!("{dir}/envs/dev/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nhelmCharts:\n  - name: cert-manager\n    repo: https://charts.jetstack.io\n    \
             version: 1.14.5\n    releaseName: cert-manager\n    namespace: cert-manager\n    \
             valuesFile: values.yaml\n\nresources:\n  - ../../base\n"
        ),
    );
    files.add(format!("{dir}/envs/dev/values.yaml"), "installCRDs: true\n");
}

fn cluster_autoscaler(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/cluster-autoscaler/aws";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        helm_base(
            "cluster-autoscaler",
            "https://kubernetes.github.io/autoscaler",
            "9.46.6",
            "cluster-autoscaler",
            "kube-system",
        ),
    );
    files.add(
        format!("{dir}/base/values.yaml"),
        "autoDiscovery:\n  clusterName: ${CLUSTER_NAME}\nawsRegion: ${REGION}\nrbac:\n  serviceAccount:\n    \
         name: cluster-autoscaler\nextraArgs:\n  balance-similar-node-groups: true\n  skip-nodes-with-system-pods: false\n",
    );
    plain_overlays(files, state, dir, &envs_for(&[Vendor::Aws]));
}

fn cnpg(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/cnpg";
    files.add(
        format!("{dir}/README.md"),
        "# CloudNativePG\n\nThe operator that runs the PostgreSQL clusters of keycloak and gitea.\n",
    );
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        resources(&["cnpg-1.27.1.yaml"]),
    );
    files.add(
        format!("{dir}/base/cnpg-1.27.1.yaml"),
        r#"# Operator deployment from the CloudNativePG 1.27.1 release manifest (CRDs trimmed for
# the demo; upstream K8TRE pulls the full release file).
apiVersion: v1
kind: Namespace
metadata:
  name: cnpg-system
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: cnpg-manager
  namespace: cnpg-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cnpg-controller-manager
  namespace: cnpg-system
  labels:
    app.kubernetes.io/name: cloudnative-pg
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: cloudnative-pg
  template:
    metadata:
      labels:
        app.kubernetes.io/name: cloudnative-pg
    spec:
      serviceAccountName: cnpg-manager
      containers:
        - name: manager
          image: ghcr.io/cloudnative-pg/cloudnative-pg:1.27.1
          args: ["controller", "--leader-elect"]
          ports:
            - name: metrics
              containerPort: 8080
            - name: webhook-server
              containerPort: 9443
"#,
    );
    plain_overlays(files, state, dir, &Env::ALL);
}

fn default_network_policy(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/default-network-policy/aws";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        resources(&["clusterwide-networkpolicy.yaml"]),
    );
    files.add(
        format!("{dir}/base/clusterwide-networkpolicy.yaml"),
        r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: k8tre-default-network-policy
spec:
  description: Allow every pod outside project namespaces to reach the VPC.
  endpointSelector:
    matchExpressions:
      - key: io.cilium.k8s.namespace.labels.k8tre.io/resource-type
        operator: NotIn
        values:
          - project-namespace
  egress:
    - toCIDR:
        - 10.0.0.0/16
"#,
    );
    plain_overlays(files, state, dir, &envs_for(&[Vendor::Aws]));
}

fn external_secrets(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/external-secrets";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nhelmCharts:\n  - name: external-secrets\n    repo: https://charts.external-secrets.io\n    \
             version: 0.19.2\n    releaseName: external-secrets\n    namespace: external-secrets\n    \
             valuesInline:\n      serviceAccount:\n        # Must match the identity the secret stores use\n        \
             name: external-secrets\n"
        ),
    );
    plain_overlays(files, state, dir, &Env::ALL);
}

fn externaldns(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/externaldns";
    files.add(
        format!("{dir}/README.md"),
        "# external-dns\n\nThe ApplicationSet is `appsets/agnostics/external-dns.yaml` and selects clusters by\n\
         their `external-dns` label, not `vendor`.\n",
    );
    // k3s: the chart lives in base, publishing to the in-cluster etcd that kare-dns serves.
    files.add(
        format!("{dir}/k3s/base/kustomization.yaml"),
        helm_base(
            "external-dns",
            "https://kubernetes-sigs.github.io/external-dns/",
            "1.19.0",
            "externaldns",
            "externaldns",
        ),
    );
    files.add(
        format!("{dir}/k3s/base/values.yaml"),
        "provider:\n  name: coredns\nenv:\n  - name: ETCD_URLS\n    value: http://etcd.kare-dns.svc:2379\n\
         sources:\n  - service\n  - gateway-httproute\ndomainFilters:\n  - ${DOMAIN}\npolicy: sync\n",
    );
    // azure: the chart and its values are per environment (identity and zone differ).
    files.add(
        format!("{dir}/azure/base/kustomization.yaml"),
        resources(&["secret.yaml"]),
    );
    files.add(
        format!("{dir}/azure/base/secret.yaml"),
        r#"apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: external-dns-azure
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: ClusterSecretStore
    name: secret-store
  target:
    name: external-dns-azure
  data:
    - secretKey: azure.json
      remoteRef:
        key: external-dns-azure-config
"#,
    );
    // aws: one chart in base; the region comes from the cluster label.
    files.add(
        format!("{dir}/aws/base/kustomization.yaml"),
        helm_base(
            "external-dns",
            "https://kubernetes-sigs.github.io/external-dns",
            "1.20.0",
            "external-dns",
            "externaldns",
        ),
    );
    files.add(
        format!("{dir}/aws/base/values.yaml"),
        "provider:\n  name: aws\nenv:\n  - name: AWS_DEFAULT_REGION\n    value: ${REGION}\n\
         domainFilters:\n  - ${DOMAIN}\npolicy: sync\ntxtOwnerId: externaldns\n",
    );
    for env in envs_for(&[Vendor::K3s, Vendor::Aws]) {
        files.add(
            format!(
                "{dir}/{}/envs/{}/kustomization.yaml",
                env.vendor().name(),
                env.name()
            ),
            overlay(state, env.name(), TO_BASE),
        );
    }
    for env in envs_for(&[Vendor::Azure]) {
        let env_dir = format!("{dir}/azure/envs/{}", env.name());
        files.add(
            format!("{env_dir}/kustomization.yaml"),
            overlay(
                state,
                env.name(),
                "resources:\n  - ../../base\n\nhelmCharts:\n  - name: external-dns\n    \
                 repo: https://kubernetes-sigs.github.io/external-dns\n    version: 1.19.0\n    \
                 valuesFile: values.yaml\n    releaseName: external-dns\n    namespace: externaldns\n",
            ),
        );
        files.add(
            format!("{env_dir}/values.yaml"),
            format!(
                r#"fullnameOverride: external-dns

serviceAccount:
  create: true
  name: externaldns
  labels:
    azure.workload.identity/use: "true"
  annotations:
    azure.workload.identity/client-id: "{client_id}"

podLabels:
  azure.workload.identity/use: "true"

extraVolumes:
  - name: azure-config-file
    secret:
      secretName: external-dns-azure

extraVolumeMounts:
  - name: azure-config-file
    mountPath: /etc/kubernetes
    readOnly: true

provider:
  name: azure-private-dns

policy: sync
txtOwnerId: externaldns

domainFilters:
  - {domain}
"#,
                client_id = state.externaldns_stg_client_id,
                domain = env.domain(),
            ),
        );
    }
}

fn gateway(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/gateway";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        resources(&["gateway.yaml", "http-redirect-route.yaml"]),
    );
    files.add(
        format!("{dir}/base/gateway.yaml"),
        r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: internal-gateway
  namespace: gateway
  labels:
    app.kubernetes.io/name: cluster-ingress
    app.kubernetes.io/component: gateway
  annotations:
    cert-manager.io/cluster-issuer: selfsigned
spec:
  gatewayClassName: cilium
  listeners:
    - name: http
      hostname: "*.${DOMAIN}"
      port: 80
      protocol: HTTP
      allowedRoutes:
        namespaces:
          from: All
    - name: https
      hostname: "*.${DOMAIN}"
      port: 443
      protocol: HTTPS
      allowedRoutes:
        namespaces:
          from: All
      tls:
        mode: Terminate
        certificateRefs:
          - name: gw-tls
"#,
    );
    files.add(
        format!("{dir}/base/http-redirect-route.yaml"),
        r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: http-to-https-redirect
  namespace: gateway
spec:
  parentRefs:
    - name: internal-gateway
      sectionName: http
  rules:
    - filters:
        - type: RequestRedirect
          requestRedirect:
            scheme: https
            statusCode: 301
"#,
    );
    files.add(
        format!("{dir}/k3s/base/kustomization.yaml"),
        resources(&["../../base", "allow-coredns-egress.yaml"]),
    );
    files.add(
        format!("{dir}/k3s/base/allow-coredns-egress.yaml"),
        r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-coredns-egress
  namespace: gateway
spec:
  endpointSelector: {}
  egress:
    - toEndpoints:
        - matchLabels:
            k8s:io.kubernetes.pod.namespace: kube-system
            k8s-app: kube-dns
      toPorts:
        - ports:
            - port: "53"
              protocol: ANY
"#,
    );
    files.add(
        format!("{dir}/azure/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - ../../base\n\npatches:\n  - path: gateway-cert-issuer-patch.yaml\n    \
             target:\n      kind: Gateway\n      name: internal-gateway\n"
        ),
    );
    files.add(
        format!("{dir}/azure/base/gateway-cert-issuer-patch.yaml"),
        "- op: replace\n  path: /metadata/annotations/cert-manager.io~1cluster-issuer\n  value: letsencrypt-ca\n",
    );
    files.add(
        format!("{dir}/aws/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - ../../base\n  - gateway-class-nodeport.yaml\n\npatches:\n  \
             - path: gateway-class-patch.yaml\n    target:\n      kind: Gateway\n      name: internal-gateway\n"
        ),
    );
    files.add(
        format!("{dir}/aws/base/gateway-class-nodeport.yaml"),
        r#"apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: nodeport-gateway-class
spec:
  controllerName: io.cilium/gateway-controller
  description: Cilium gateway exposed through a NodePort service behind the AWS load balancer.
"#,
    );
    files.add(
        format!("{dir}/aws/base/gateway-class-patch.yaml"),
        "- op: replace\n  path: /spec/gatewayClassName\n  value: nodeport-gateway-class\n",
    );
    for env in Env::ALL {
        files.add(
            format!(
                "{dir}/{}/envs/{}/kustomization.yaml",
                env.vendor().name(),
                env.name()
            ),
            overlay(state, env.name(), TO_BASE),
        );
    }
}

fn kare_dns(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/kare-dns/k3s";
    files.add(
        format!("{dir}/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nresources:\n  - etcd.yaml\n\nhelmCharts:\n  - name: coredns\n    \
             repo: https://coredns.github.io/helm\n    version: 1.29.0\n    releaseName: kare-dns\n    \
             namespace: kare-dns\n    valuesFile: values.yaml\n"
        ),
    );
    files.add(
        format!("{dir}/base/values.yaml"),
        "serviceType: LoadBalancer\nservers:\n  - zones:\n      - zone: ${DOMAIN}.\n    port: 53\n    \
         plugins:\n      - name: errors\n      - name: etcd\n        parameters: ${DOMAIN}\n        \
         configBlock: |-\n          endpoint http://etcd.kare-dns.svc:2379\n      - name: cache\n        parameters: 30\n",
    );
    files.add(
        format!("{dir}/base/etcd.yaml"),
        r#"apiVersion: v1
kind: Service
metadata:
  name: etcd
spec:
  selector:
    app.kubernetes.io/name: etcd
  ports:
    - name: client
      port: 2379
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: etcd
spec:
  serviceName: etcd
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: etcd
  template:
    metadata:
      labels:
        app.kubernetes.io/name: etcd
    spec:
      containers:
        - name: etcd
          image: quay.io/coreos/etcd:v3.5.15
          command:
            - etcd
            - --listen-client-urls=http://0.0.0.0:2379
            - --advertise-client-urls=http://etcd.kare-dns.svc:2379
          ports:
            - containerPort: 2379
"#,
    );
    plain_overlays(files, state, dir, &envs_for(&[Vendor::K3s]));
}

fn loadbalancer(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/loadbalancer";
    // k3s: MetalLB. Upstream pulls MetalLB's native manifest by URL; the demo carries the
    // controller and speaker inline so it renders offline.
    files.add(
        format!("{dir}/k3s/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nnamespace: metallb-system\n\nresources:\n  - metallb-native-v0.15.2.yaml\n  \
             - ip-address-pool.yaml\n"
        ),
    );
    files.add(
        format!("{dir}/k3s/base/metallb-native-v0.15.2.yaml"),
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: metallb-system
  labels:
    pod-security.kubernetes.io/enforce: privileged
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: controller
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller
  labels:
    app: metallb
    component: controller
spec:
  selector:
    matchLabels:
      app: metallb
      component: controller
  template:
    metadata:
      labels:
        app: metallb
        component: controller
    spec:
      serviceAccountName: controller
      containers:
        - name: controller
          image: quay.io/metallb/controller:v0.15.2
          args: ["--port=7472", "--log-level=info"]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: speaker
  labels:
    app: metallb
    component: speaker
spec:
  selector:
    matchLabels:
      app: metallb
      component: speaker
  template:
    metadata:
      labels:
        app: metallb
        component: speaker
    spec:
      hostNetwork: true
      containers:
        - name: speaker
          image: quay.io/metallb/speaker:v0.15.2
          args: ["--port=7472", "--log-level=info"]
"#,
    );
    files.add(
        format!("{dir}/k3s/base/ip-address-pool.yaml"),
        r#"apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: default-pool
spec:
  addresses:
    - ${METALLB_IP_RANGE} # from the cluster label metallb-ip-range
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: default-advertisement
spec:
  ipAddressPools:
    - default-pool
"#,
    );
    files.add(
        format!("{dir}/aws/base/kustomization.yaml"),
        helm_base(
            "aws-load-balancer-controller",
            "https://aws.github.io/eks-charts",
            "1.13.4",
            "aws-loadbalancer",
            "loadbalancer",
        ),
    );
    files.add(
        format!("{dir}/aws/base/values.yaml"),
        "clusterName: ${CLUSTER_NAME}\nregion: ${REGION}\nserviceAccount:\n  name: aws-load-balancer-controller\n",
    );
    for env in envs_for(&[Vendor::K3s, Vendor::Aws]) {
        files.add(
            format!(
                "{dir}/{}/envs/{}/kustomization.yaml",
                env.vendor().name(),
                env.name()
            ),
            overlay(state, env.name(), TO_BASE),
        );
    }
}

fn nginx(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/nginx";
    for (vendor, values) in [
        (
            Vendor::K3s,
            "controller:\n  publishService:\n    enabled: true\n  admissionWebhooks:\n    enabled: false\n  \
             # Host ports, so no LoadBalancer is needed on a single node\n  hostPort:\n    enabled: true\n  \
             service:\n    type: ClusterIP\n",
        ),
        (
            Vendor::Azure,
            "controller:\n  publishService:\n    enabled: true\n  service:\n    annotations:\n      \
             service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"\n",
        ),
    ] {
        files.add(
            format!("{dir}/{}/base/kustomization.yaml", vendor.name()),
            helm_base(
                "ingress-nginx",
                "https://kubernetes.github.io/ingress-nginx",
                "4.12.3",
                "ingress-nginx",
                "ingress-nginx",
            ),
        );
        files.add(format!("{dir}/{}/base/values.yaml", vendor.name()), values);
    }
    for env in envs_for(&[Vendor::K3s, Vendor::Azure]) {
        files.add(
            format!(
                "{dir}/{}/envs/{}/kustomization.yaml",
                env.vendor().name(),
                env.name()
            ),
            overlay(state, env.name(), TO_BASE),
        );
    }
}

fn object_storage(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/object-storage";
    for (vendor, storage_class) in [(Vendor::K3s, "rwo-default"), (Vendor::Azure, "managed-csi")] {
        let base = format!("{dir}/{}/base", vendor.name());
        files.add(
            format!("{base}/kustomization.yaml"),
            format!(
                "{KUSTOMIZATION}\nhelmCharts:\n  - name: seaweedfs\n    repo: https://seaweedfs.github.io/seaweedfs/helm\n    \
                 version: 4.0.407\n    releaseName: seaweedfs\n    namespace: object-storage\n    \
                 valuesFile: seaweedfs-values.yaml\n\nresources:\n  - s3-external-secret.yaml\n"
            ),
        );
        files.add(
            format!("{base}/seaweedfs-values.yaml"),
            format!(
                "master:\n  replicas: 1\nvolume:\n  replicas: 1\n  dataDirs:\n    - name: data\n      \
                 type: persistentVolumeClaim\n      size: 50Gi\n      storageClass: {storage_class}\n\
                 s3:\n  enabled: true\n  existingConfigSecret: seaweedfs-s3-config\n"
            ),
        );
        files.add(
            format!("{base}/s3-external-secret.yaml"),
            r#"apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: seaweedfs-s3-config
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: ClusterSecretStore
    name: secret-store
  target:
    name: seaweedfs-s3-config
  data:
    - secretKey: seaweedfs_s3_config
      remoteRef:
        key: seaweedfs-s3-credentials
"#,
        );
    }
    for env in envs_for(&[Vendor::K3s, Vendor::Azure]) {
        files.add(
            format!(
                "{dir}/{}/envs/{}/kustomization.yaml",
                env.vendor().name(),
                env.name()
            ),
            overlay(state, env.name(), TO_BASE),
        );
    }
}

fn secret_store(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/secret-store";
    files.add(
        format!("{dir}/README.md"),
        "# Secret stores\n\nSelected by the cluster label `secret-store`: `kubernetes` (secrets kept in the\n\
         `secret-store` namespace) or `aws` (SSM Parameter Store). There is no Azure Key Vault store.\n",
    );
    files.add(
        format!("{dir}/kubernetes/base/kustomization.yaml"),
        resources(&["secret-store.yaml", "rbac.yaml"]),
    );
    files.add(
        format!("{dir}/kubernetes/base/secret-store.yaml"),
        r#"apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: secret-store
spec:
  provider:
    kubernetes:
      remoteNamespace: secret-store
      server:
        caProvider:
          type: ConfigMap
          namespace: external-secrets
          name: kube-root-ca.crt
          key: ca.crt
      auth:
        serviceAccount:
          name: external-secrets
          namespace: external-secrets
"#,
    );
    files.add(
        format!("{dir}/kubernetes/base/rbac.yaml"),
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: external-secrets-reader
  namespace: secret-store
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["authorization.k8s.io"]
    resources: ["selfsubjectrulesreviews"]
    verbs: ["create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: external-secrets-reader
  namespace: secret-store
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: external-secrets-reader
subjects:
  - kind: ServiceAccount
    name: external-secrets
    namespace: external-secrets
"#,
    );
    files.add(
        format!("{dir}/aws/base/kustomization.yaml"),
        resources(&["secret-store.yaml"]),
    );
    files.add(
        format!("{dir}/aws/base/secret-store.yaml"),
        r#"apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: secret-store
spec:
  provider:
    aws:
      service: ParameterStore
      region: ${REGION}
"#,
    );
    for env in Env::ALL {
        files.add(
            format!(
                "{dir}/{}/envs/{}/kustomization.yaml",
                env.secret_store(),
                env.name()
            ),
            overlay(state, env.name(), TO_BASE),
        );
    }
}

fn storage_class(files: &mut Files, state: &RepoState) {
    let dir = "agnostics/storage-class";
    files.add(
        format!("{dir}/aws/README.md"),
        "# AWS storage classes\n\n`rwo-default` and `rwx-default` are created by the AWS infrastructure code\n\
         (k8tre-aws), not by ArgoCD, so there are no AWS env directories here.\n",
    );
    // k3s: Longhorn from the chart, classes in base.
    files.add(
        format!("{dir}/k3s/base/kustomization.yaml"),
        format!(
            "{KUSTOMIZATION}\nhelmCharts:\n  - name: longhorn\n    repo: https://charts.longhorn.io\n    \
             version: 1.7.2\n    releaseName: longhorn\n    namespace: storage-system\n    \
             valuesFile: longhorn-values.yaml\n    includeCRDs: true\n\nresources:\n  - rwo-default.yaml\n  \
             - rwx-default.yaml\n"
        ),
    );
    files.add(
        format!("{dir}/k3s/base/longhorn-values.yaml"),
        "persistence:\n  defaultClass: false\ndefaultSettings:\n  defaultReplicaCount: 1\n",
    );
    for (name, default, access) in [
        ("rwo-default", "false", "ReadWriteOnce"),
        ("rwx-default", "true", "ReadWriteMany"),
    ] {
        files.add(
            format!("{dir}/k3s/base/{name}.yaml"),
            format!(
                "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: {name}\n  annotations:\n    \
                 storageclass.kubernetes.io/is-default-class: \"{default}\"\n    description: \"{access} on Longhorn\"\n\
                 provisioner: driver.longhorn.io\nallowVolumeExpansion: true\nreclaimPolicy: Delete\n\
                 volumeBindingMode: Immediate\nparameters:\n  numberOfReplicas: \"1\"\n  fsType: ext4\n"
            ),
        );
    }
    for env in envs_for(&[Vendor::K3s]) {
        files.add(
            format!("{dir}/k3s/envs/{}/kustomization.yaml", env.name()),
            overlay(state, env.name(), TO_BASE),
        );
    }
    // azure: the classes name per-environment storage accounts, so they live in the envs.
    files.add(format!("{dir}/azure/base/.gitkeep"), "");
    for env in envs_for(&[Vendor::Azure]) {
        let env_dir = format!("{dir}/azure/envs/{}", env.name());
        files.add(
            format!("{env_dir}/kustomization.yaml"),
            overlay(
                state,
                env.name(),
                "resources:\n  - rwx-default.yaml\n  - rwo-default.yaml\n",
            ),
        );
        files.add(
            format!("{env_dir}/rwo-default.yaml"),
            "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: rwo-default\n  annotations:\n    \
             storageclass.kubernetes.io/is-default-class: \"false\"\nprovisioner: disk.csi.azure.com\n\
             allowVolumeExpansion: true\nreclaimPolicy: Delete\nvolumeBindingMode: WaitForFirstConsumer\n\
             parameters:\n  skuName: StandardSSD_LRS\n",
        );
        files.add(
            format!("{env_dir}/rwx-default.yaml"),
            format!(
                "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: rwx-default\n  annotations:\n    \
                 storageclass.kubernetes.io/is-default-class: \"true\"\nprovisioner: file.csi.azure.com\n\
                 allowVolumeExpansion: true\nreclaimPolicy: Delete\nvolumeBindingMode: Immediate\nparameters:\n  \
                 storageAccount: stgk8trecore{env}\n  resourceGroup: rg-k8tre-{env}-uks-aks\n  skuName: Standard_LRS\n\
                 mountOptions:\n  - dir_mode=0777\n  - file_mode=0777\n  - mfsymlinks\n  - actimeo=30\n",
                env = env.name()
            ),
        );
    }
}
