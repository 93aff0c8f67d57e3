//! Believable container logs: a short startup backlog when a container starts, periodic
//! request and heartbeat lines, and an error with a stack-trace-ish tail before each crash.
//! The text depends on what the image looks like (nginx, postgres, a Python or Java app...).
//!
//! Cost is bounded for tens of thousands of pods: the backlog is a handful of lines per
//! container start, and periodic lines are spread over running containers at a global rate
//! per cluster (see [`periodic_rate`]), so CPU and memory grow with that rate, not with the
//! number of pods. Each container's log is also capped by `PodLogs`.

use std::net::Ipv4Addr;

use chrono::Utc;

use super::naming::Rng;

/// The kind of program a container runs, guessed from its image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Nginx,
    Postgres,
    Redis,
    Python,
    Java,
    Go,
}

impl Flavor {
    pub fn of_image(image: &str) -> Flavor {
        let name = image
            .rsplit('/')
            .next()
            .unwrap_or(image)
            .split([':', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
        if has(&["nginx", "ingress", "envoy", "traefik", "haproxy", "gateway"]) {
            Flavor::Nginx
        } else if has(&["postgres", "cnpg", "mysql", "mariadb"]) {
            Flavor::Postgres
        } else if has(&["redis", "valkey", "memcached"]) {
            Flavor::Redis
        } else if has(&["python", "jupyter", "django", "flask", "notebook", "hub"]) {
            Flavor::Python
        } else if has(&["keycloak", "java", "spring", "jdk", "jre", "tomcat"]) {
            Flavor::Java
        } else {
            Flavor::Go
        }
    }
}

/// Who is logging: for lines that mention the pod, container or addresses.
pub struct LogContext<'a> {
    pub pod: &'a str,
    pub container: &'a str,
    pub image: &'a str,
    pub ip: Option<Ipv4Addr>,
}

fn version_of(image: &str) -> &str {
    image
        .rsplit_once(':')
        .map(|(_, tag)| tag)
        .filter(|t| !t.contains('/'))
        .unwrap_or("latest")
}

fn stamp() -> String {
    Utc::now().format("%Y/%m/%d %H:%M:%S").to_string()
}

fn iso() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The lines a container prints when it starts.
pub fn startup(flavor: Flavor, ctx: &LogContext<'_>) -> Vec<String> {
    let version = version_of(ctx.image);
    let ip = ctx
        .ip
        .map_or_else(|| "0.0.0.0".to_string(), |ip| ip.to_string());
    match flavor {
        Flavor::Nginx => vec![
            "/docker-entrypoint.sh: Configuration complete; ready for start up".to_string(),
            format!("{} [notice] 1#1: nginx/{version}", stamp()),
            format!("{} [notice] 1#1: start worker processes", stamp()),
        ],
        Flavor::Postgres => vec![
            format!(
                "{} UTC [1] LOG:  starting PostgreSQL {version} on x86_64-pc-linux-gnu",
                iso()
            ),
            format!(
                "{} UTC [1] LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
                iso()
            ),
            format!(
                "{} UTC [1] LOG:  database system is ready to accept connections",
                iso()
            ),
        ],
        Flavor::Redis => vec![
            format!(
                "1:C {} * Redis version={version}, bits=64, pid=1, just started",
                iso()
            ),
            format!("1:M {} * Running mode=standalone, port=6379.", iso()),
            format!("1:M {} * Ready to accept connections tcp", iso()),
        ],
        Flavor::Python => vec![
            format!(
                "[I {} {}] Starting {} {version}",
                iso(),
                ctx.container,
                ctx.pod
            ),
            format!(
                "[I {} {}] Listening on http://{ip}:8080/",
                iso(),
                ctx.container
            ),
            format!(
                "[I {} {}] Application startup complete.",
                iso(),
                ctx.container
            ),
        ],
        Flavor::Java => vec![
            format!(
                "{} INFO  [main] Starting {} version {version} (JDK 21.0.5)",
                iso(),
                ctx.container
            ),
            format!(
                "{} INFO  [main] Tomcat initialized with port 8080 (http)",
                iso()
            ),
            format!(
                "{} INFO  [main] Started {} in 4.812 seconds",
                iso(),
                ctx.container
            ),
        ],
        Flavor::Go => vec![
            format!(
                "{{\"level\":\"info\",\"ts\":\"{}\",\"msg\":\"starting\",\"component\":\"{}\",\"version\":\"{version}\"}}",
                iso(),
                ctx.container
            ),
            format!(
                "{{\"level\":\"info\",\"ts\":\"{}\",\"msg\":\"listening\",\"addr\":\"{ip}:8080\"}}",
                iso()
            ),
            format!(
                "{{\"level\":\"info\",\"ts\":\"{}\",\"msg\":\"ready\"}}",
                iso()
            ),
        ],
    }
}

const PATHS: [&str; 6] = [
    "/healthz",
    "/api/v1/projects",
    "/api/v1/workspaces",
    "/metrics",
    "/",
    "/api/v1/users/me",
];

fn user_agent(path: &str) -> &'static str {
    match path {
        "/healthz" => "kube-probe/1.32",
        "/metrics" => "Prometheus/2.55.1",
        _ => "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    }
}

/// One line of ordinary activity: a request, a checkpoint, a heartbeat.
pub fn periodic(flavor: Flavor, ctx: &LogContext<'_>, rng: &mut Rng) -> String {
    let path = PATHS[rng.below(PATHS.len())];
    let status = if rng.below(50) == 0 { 404 } else { 200 };
    let millis = 1 + rng.below(120);
    let client = format!("10.244.{}.{}", rng.below(8), 2 + rng.below(250));
    match flavor {
        Flavor::Nginx => format!(
            "{client} - - [{}] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"{}\"",
            Utc::now().format("%d/%b/%Y:%H:%M:%S +0000"),
            100 + rng.below(4000),
            user_agent(path)
        ),
        Flavor::Postgres => format!(
            "{} UTC [{}] LOG:  checkpoint complete: wrote {} buffers ({:.1}%); distance={} kB",
            iso(),
            60 + rng.below(200),
            rng.below(300),
            rng.unit() * 2.0,
            rng.below(4096)
        ),
        Flavor::Redis => format!(
            "1:M {} * {} changes in 300 seconds. Saving...",
            iso(),
            1 + rng.below(100)
        ),
        Flavor::Python => format!(
            "[I {} {}] {status} GET {path} ({client}) {millis}.{:02}ms",
            iso(),
            ctx.container,
            rng.below(100)
        ),
        Flavor::Java => format!(
            "{} INFO  [http-nio-8080-exec-{}] GET {path} -> {status} in {millis}ms",
            iso(),
            1 + rng.below(10)
        ),
        Flavor::Go => format!(
            "{{\"level\":\"info\",\"ts\":\"{}\",\"msg\":\"request\",\"method\":\"GET\",\"path\":\"{path}\",\"status\":{status},\"duration_ms\":{millis}}}",
            iso()
        ),
    }
}

/// The error and stack-trace-ish tail a crashing container prints last.
pub fn crash(flavor: Flavor, ctx: &LogContext<'_>, exit_code: i32) -> Vec<String> {
    if exit_code == 137 {
        return vec![format!(
            "{} fatal: allocating 268435456 bytes: cannot allocate memory",
            iso()
        )];
    }
    match flavor {
        Flavor::Python => vec![
            "Traceback (most recent call last):".to_string(),
            "  File \"/app/main.py\", line 42, in <module>".to_string(),
            "    app = create_app(settings.from_env())".to_string(),
            "  File \"/app/settings.py\", line 17, in from_env".to_string(),
            "    raise RuntimeError(\"DATABASE_URL is not set\")".to_string(),
            "RuntimeError: DATABASE_URL is not set".to_string(),
        ],
        Flavor::Java => vec![
            format!("{} ERROR [main] Application run failed", iso()),
            "java.lang.IllegalStateException: Failed to load ApplicationContext".to_string(),
            "\tat org.springframework.boot.SpringApplication.run(SpringApplication.java:343)".to_string(),
            "\tat org.k8tre.Main.main(Main.java:12)".to_string(),
            "Caused by: java.net.ConnectException: Connection refused".to_string(),
        ],
        Flavor::Nginx => vec![
            format!(
                "{} [emerg] 1#1: host not found in upstream \"backend:8080\" in /etc/nginx/conf.d/default.conf:12",
                stamp()
            ),
            "nginx: [emerg] host not found in upstream \"backend:8080\" in /etc/nginx/conf.d/default.conf:12".to_string(),
        ],
        Flavor::Postgres | Flavor::Redis => vec![
            format!("{} FATAL:  could not open configuration file: Permission denied", iso()),
            format!("{} LOG:  database system is shut down", iso()),
        ],
        Flavor::Go => vec![
            format!(
                "{{\"level\":\"error\",\"ts\":\"{}\",\"msg\":\"cannot connect to database\",\"error\":\"dial tcp 10.96.0.42:5432: connect: connection refused\"}}",
                iso()
            ),
            format!("panic: cannot start {}: connection refused", ctx.container),
            String::new(),
            "goroutine 1 [running]:".to_string(),
            "main.main()".to_string(),
            "\t/src/cmd/server/main.go:57 +0x1d4".to_string(),
        ],
    }
}

/// Periodic log lines per real second for one cluster: every running container gets a line
/// about every `per_container_secs` (real seconds), but never more than `cap` in total.
pub fn periodic_rate(running: usize, per_container_secs: f64, cap: f64) -> f64 {
    if running == 0 || per_container_secs <= 0.0 {
        return 0.0;
    }
    (running as f64 / per_container_secs).min(cap.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> LogContext<'static> {
        LogContext {
            pod: "web-1",
            container: "web",
            image: "nginx:1.27",
            ip: Some(Ipv4Addr::new(10, 244, 0, 7)),
        }
    }

    #[test]
    fn flavors_follow_the_image() {
        assert_eq!(Flavor::of_image("nginx:1.27"), Flavor::Nginx);
        assert_eq!(
            Flavor::of_image("ghcr.io/cloudnative-pg/postgresql:16"),
            Flavor::Postgres
        );
        assert_eq!(
            Flavor::of_image("quay.io/jupyterhub/k8s-hub:4"),
            Flavor::Python
        );
        assert_eq!(
            Flavor::of_image("quay.io/keycloak/keycloak:26"),
            Flavor::Java
        );
        assert_eq!(Flavor::of_image("ghcr.io/k8tre/api:v1"), Flavor::Go);
    }

    #[test]
    fn lines_name_their_program() {
        assert!(startup(Flavor::Nginx, &ctx())[1].contains("nginx/1.27"));
        assert!(startup(Flavor::Go, &ctx())[1].contains("10.244.0.7:8080"));
        let mut rng = Rng::new(1);
        assert!(periodic(Flavor::Nginx, &ctx(), &mut rng).contains("HTTP/1.1"));
        let tail = crash(Flavor::Go, &ctx(), 1);
        assert!(tail.iter().any(|l| l.starts_with("panic:")));
        assert!(crash(Flavor::Python, &ctx(), 137)[0].contains("cannot allocate memory"));
    }

    #[test]
    fn periodic_rate_is_capped_globally() {
        assert_eq!(periodic_rate(0, 10.0, 20.0), 0.0);
        assert_eq!(periodic_rate(50, 10.0, 20.0), 5.0);
        assert_eq!(periodic_rate(25_000, 10.0, 20.0), 20.0);
    }
}
