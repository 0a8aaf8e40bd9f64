use actix_web::{App, HttpServer, web};
use tencent_faceid::{FaceId, Report, StartError, StartSession, Started, UserId, Verified};
use tencent_faceid_emulator::FromEnvOrEmulator; // dev only: a production build says FaceId::from_env

#[derive(serde::Deserialize)]
struct Person {
    user: UserId,
    name: String,
    id_number: String,
}

async fn start(face_id: web::Data<FaceId>, p: web::Form<Person>) -> Result<Started, StartError> {
    let p = p.into_inner();
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

#[actix_web::main]
async fn main() -> Result<(), Report> {
    tracing_subscriber::fmt::init(); // the crate's warnings and errors, on stderr
    let face_id = FaceId::from_env_or_emulator("http://127.0.0.1:8080/face/callback").await?;
    let app = move || {
        App::new()
            .app_data(web::Data::new(face_id.clone()))
            .service(face_id.callback_resource("/face/callback", callback))
            .route("/start", web::post().to(start))
    };
    Ok(HttpServer::new(app).bind("127.0.0.1:8080")?.run().await?)
}
