use axum::{Form, Router, extract::State, routing::post};
use tencent_faceid::{FaceId, Report, StartError, StartSession, Started, UserId, Verified};
use tencent_faceid_emulator::FromEnvOrEmulator; // dev only: a production build says FaceId::from_env

#[derive(serde::Deserialize)]
struct Person {
    user: UserId,
    name: String,
    id_number: String,
}

async fn start(
    State(face_id): State<FaceId>,
    Form(p): Form<Person>,
) -> Result<Started, StartError> {
    let person = StartSession::for_user(p.user)
        .name(p.name)
        .id_number(p.id_number);
    face_id.start(person).await // 303 to the vendor's page, with the browser-binding cookie
}

async fn callback(Verified(outcome): Verified) -> &'static str {
    match (outcome.passed(), outcome.repeated) {
        (true, false) => "verified", // grant here, once
        (true, true) => "verified (shown again: a reload grants nothing twice)",
        (false, _) => "not verified, please try again",
    }
}

#[tokio::main]
async fn main() -> Result<(), Report> {
    tracing_subscriber::fmt::init(); // the crate's warnings and errors, on stderr
    let face_id = FaceId::from_env_or_emulator("http://127.0.0.1:3000/face/callback").await?;
    let app = Router::new()
        .route("/face/callback", face_id.callback_route(callback))
        .route("/start", post(start))
        .with_state(face_id);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    Ok(axum::serve(listener, app).await?)
}
