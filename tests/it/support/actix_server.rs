//! An actix-web server on a free loopback port, one worker on the test's
//! actix runtime: bind first (the URL is often part of the app's
//! configuration), then serve.

use actix_web::dev::ServerHandle;
use actix_web::web::ServiceConfig;
use url::Url;

/// A free loopback port, bound, and its URL.
pub struct Loopback {
    listener: std::net::TcpListener,
    /// `http://<addr><path>`.
    pub url: Url,
}

impl Loopback {
    /// Binds a free loopback port; its URL ends in `path`.
    pub fn bind(path: &str) -> Loopback {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}{path}", listener.local_addr().unwrap());
        Loopback {
            listener,
            url: url.parse().unwrap(),
        }
    }

    /// Serves an `App` configured by `configure`; stop it with the handle.
    pub fn serve<F>(self, configure: F) -> ServerHandle
    where
        F: Fn(&mut ServiceConfig) + Clone + Send + 'static,
    {
        let server =
            actix_web::HttpServer::new(move || actix_web::App::new().configure(configure.clone()))
                .workers(1)
                .listen(self.listener)
                .unwrap()
                .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        handle
    }
}
