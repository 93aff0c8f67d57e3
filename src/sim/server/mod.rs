//! The HTTP side of a simulated cluster: a listener on 127.0.0.1 that serves the Kubernetes
//! API from a [`ClusterState`], and obeys the connection faults (refuse, hang).

mod discovery;
mod handler;
mod http;
mod logs;
mod openapi;
mod protobuf;
mod routes;
mod table;
mod watch;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::cluster::ClusterState;
use tokio_rustls::TlsAcceptor;

/// A running API server for one cluster.
pub struct ClusterServer {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl ClusterServer {
    /// Binds 127.0.0.1:`port` (0 for an ephemeral port) and starts serving.
    pub async fn start(
        cluster: Arc<ClusterState>,
        port: u16,
        tls: TlsAcceptor,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(accept_loop(cluster, listener, addr, tls, shutdown.clone()));
        Ok(Self {
            addr,
            shutdown,
            task,
        })
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Stops accepting, closes every connection, and waits for the listener task.
    pub async fn stop(self) {
        self.shutdown.cancel();
        if let Err(e) = self.task.await {
            tracing::warn!("simulated API server task ended badly: {e}");
        }
    }
}

async fn accept_loop(
    cluster: Arc<ClusterState>,
    listener: TcpListener,
    addr: SocketAddr,
    tls: TlsAcceptor,
    shutdown: CancellationToken,
) {
    let mut listener = Some(listener);
    let mut refuse = cluster.faults.refuse_state();
    loop {
        if *refuse.borrow_and_update() {
            // Closing the socket makes connects fail with "connection refused".
            listener = None;
            tokio::select! {
                _ = shutdown.cancelled() => return,
                changed = refuse.changed() => if changed.is_err() { return },
            }
            continue;
        }
        let active = match listener.take() {
            Some(l) => l,
            None => match TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!("rebinding {addr} failed, retrying: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = refuse.changed() => {
                if changed.is_err() {
                    return;
                }
                listener = Some(active);
            }
            accepted = active.accept() => {
                match accepted {
                    Ok((stream, _)) => {
                        if let Err(e) = stream.set_nodelay(true) {
                            tracing::debug!("TCP_NODELAY: {e}");
                        }
                        spawn_connection(cluster.clone(), stream, addr, tls.clone(), shutdown.clone());
                    }
                    Err(e) => tracing::warn!("accept on {addr} failed: {e}"),
                }
                listener = Some(active);
            }
        }
    }
}

fn spawn_connection(
    cluster: Arc<ClusterState>,
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    tls: TlsAcceptor,
    shutdown: CancellationToken,
) {
    let mut epoch = cluster.faults.connection_epoch();
    epoch.mark_unchanged();
    if cluster.faults.refusing() {
        // Accepted just before the listener closed: treat it as refused.
        return;
    }
    let server_address = addr.to_string();
    tokio::spawn(async move {
        let handshake = tokio::select! {
            accepted = tls.accept(stream) => accepted,
            _ = epoch.changed() => return,
            _ = shutdown.cancelled() => return,
        };
        let stream = match handshake {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!("TLS handshake on {addr} failed: {e}");
                return;
            }
        };
        let service = service_fn(move |req| {
            let cluster = cluster.clone();
            let server_address = server_address.clone();
            async move {
                Ok::<_, std::convert::Infallible>(
                    handler::handle(cluster, server_address, req).await,
                )
            }
        });
        let connection = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        tokio::select! {
            result = connection => {
                if let Err(e) = result {
                    tracing::debug!("connection ended: {e}");
                }
            }
            // Dropping the connection closes the socket: a refusing or stopped server cuts clients off.
            _ = epoch.changed() => {}
            _ = shutdown.cancelled() => {}
        }
    });
}
