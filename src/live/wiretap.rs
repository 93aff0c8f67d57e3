//! Watch liveness from the HTTP layer.
//!
//! kube's watcher consumes BOOKMARK events itself, so a quiet but healthy watch looks the same
//! as a dead one from above. This tower layer sits in each connection's client and stamps the
//! time whenever a registered watch answers or streams bytes (an event or a bookmark). The
//! watch task reads the stamp and reports it as [`LiveEvent::Alive`](super::LiveEvent), which
//! is what keeps a quiet cluster from being shown stale, and a silent one from being shown live.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use parking_lot::RwLock;
use tower_layer::Layer;
use tower_service::Service;

/// The last time (Unix milliseconds) a watch showed life; 0 = never.
#[derive(Debug, Default)]
pub struct Activity(AtomicI64);

impl Activity {
    pub fn stamp(&self) {
        self.0
            .fetch_max(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    pub fn last_millis(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Watches by request path (`/api/v1/pods`), shared between the layer and the watch tasks.
#[derive(Debug, Clone, Default)]
pub struct WireTap {
    paths: Arc<RwLock<HashMap<String, Arc<Activity>>>>,
}

impl WireTap {
    /// The activity stamp for watch requests to `path` (created on first use).
    pub fn register(&self, path: &str) -> Arc<Activity> {
        if let Some(found) = self.paths.read().get(path) {
            return found.clone();
        }
        self.paths
            .write()
            .entry(path.to_string())
            .or_default()
            .clone()
    }

    fn lookup<B>(&self, request: &Request<B>) -> Option<Arc<Activity>> {
        let is_watch = request
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"));
        if !is_watch {
            return None;
        }
        self.paths.read().get(request.uri().path()).cloned()
    }
}

impl<S> Layer<S> for WireTap {
    type Service = TapService<S>;

    fn layer(&self, inner: S) -> TapService<S> {
        TapService {
            inner,
            tap: self.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TapService<S> {
    inner: S,
    tap: WireTap,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for TapService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = Response<TapBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let activity = self.tap.lookup(&request);
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            // A watch that is answered successfully is alive even before its first event.
            let activity = activity.filter(|_| response.status().is_success());
            if let Some(activity) = &activity {
                activity.stamp();
            }
            Ok(response.map(|inner| TapBody { inner, activity }))
        })
    }
}

/// A response body that stamps its watch's activity on every data frame.
pub struct TapBody<B> {
    inner: B,
    activity: Option<Arc<Activity>>,
}

impl<B> Body for TapBody<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let (Poll::Ready(Some(Ok(frame))), Some(activity)) = (&polled, &self.activity)
            && frame.is_data()
        {
            activity.stamp();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};
    use std::convert::Infallible;

    #[derive(Clone)]
    struct Echo;

    impl Service<Request<()>> for Echo {
        type Response = Response<Full<Bytes>>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<()>) -> Self::Future {
            std::future::ready(Ok(Response::new(Full::new(Bytes::from_static(
                b"{\"type\":\"BOOKMARK\"}\n",
            )))))
        }
    }

    fn request(uri: &str) -> Request<()> {
        Request::builder().uri(uri).body(()).expect("request")
    }

    #[tokio::test]
    async fn only_registered_watches_are_stamped() {
        let tap = WireTap::default();
        let pods = tap.register("/api/v1/pods");
        let again = tap.register("/api/v1/pods");
        assert!(Arc::ptr_eq(&pods, &again));
        let mut service = tap.layer(Echo);

        let listed = service
            .call(request("/api/v1/pods?limit=500"))
            .await
            .expect("ok");
        let _ = listed.into_body().collect().await;
        assert_eq!(pods.last_millis(), 0, "a list is not a watch");

        let other = service
            .call(request("/api/v1/nodes?watch=true"))
            .await
            .expect("ok");
        let _ = other.into_body().collect().await;
        assert_eq!(pods.last_millis(), 0, "another path");

        let watched = service
            .call(request("/api/v1/pods?watch=true&resourceVersion=5"))
            .await
            .expect("ok");
        assert!(pods.last_millis() > 0, "answered");
        let before = pods.last_millis();
        let body = watched.into_body().collect().await.expect("body");
        assert!(!body.to_bytes().is_empty());
        assert!(pods.last_millis() >= before);
    }
}
