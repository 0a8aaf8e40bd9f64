//! What a session is started with: [`StartSession`] and its
//! [`SourcePhoto`], checked against the vendor's limits.

use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;
use url::Url;

use super::error::InvalidStart;
use crate::edition::Edition;
use crate::ids::UserId;
use crate::secret::Secret;
use crate::wire::SourcePhotoType;

/// The largest source photo the vendor accepts, before base64.
pub const MAX_PHOTO_BYTES: usize = 500 * 1024;

/// A comparison photo for a session.
#[derive(Clone, PartialEq, Eq)]
pub struct SourcePhoto {
    pub(super) base64: Secret,
    pub(super) kind: SourcePhotoType,
}

impl fmt::Debug for SourcePhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourcePhoto")
            .field("base64", &self.base64)
            .field("kind", &self.kind)
            .finish()
    }
}

impl SourcePhoto {
    /// A photo from its raw bytes (JPG, PNG or BMP, at most
    /// [`MAX_PHOTO_BYTES`]); it is base64-encoded as the vendor wants.
    ///
    /// # Errors
    /// [`InvalidStart::PhotoTooLarge`], [`InvalidStart::PhotoFormat`].
    ///
    /// ```
    /// use tencent_faceid::client::SourcePhotoType;
    /// use tencent_faceid::session::SourcePhoto;
    /// let png = b"\x89PNG\r\n\x1a\n rest of the image";
    /// assert!(SourcePhoto::from_bytes(png, SourcePhotoType::HighDefinition).is_ok());
    /// assert!(SourcePhoto::from_bytes(b"GIF89a", SourcePhotoType::HighDefinition).is_err());
    /// ```
    pub fn from_bytes(bytes: &[u8], kind: SourcePhotoType) -> Result<Self, InvalidStart> {
        check_photo_bytes(bytes)?;
        Ok(Self {
            base64: Secret::new(base64::engine::general_purpose::STANDARD.encode(bytes)),
            kind,
        })
    }

    /// A photo already in base64: standard alphabet, padded, no line breaks,
    /// no `data:` prefix.
    ///
    /// # Errors
    /// [`InvalidStart::PhotoBase64`] with what is wrong, or the errors of
    /// [`SourcePhoto::from_bytes`] for the decoded image.
    ///
    /// ```
    /// use tencent_faceid::client::SourcePhotoType;
    /// use tencent_faceid::session::SourcePhoto;
    /// assert!(SourcePhoto::from_base64("Qk0=", SourcePhotoType::Watermarked).is_ok());
    /// assert!(SourcePhoto::from_base64("data:image/png;base64,iVBO", SourcePhotoType::Watermarked).is_err());
    /// ```
    pub fn from_base64(base64: &str, kind: SourcePhotoType) -> Result<Self, InvalidStart> {
        if base64.starts_with("data:") {
            return Err(InvalidStart::PhotoBase64(
                "remove the \"data:...;base64,\" prefix: the vendor wants bare base64",
            ));
        }
        if base64.contains(['\r', '\n']) {
            return Err(InvalidStart::PhotoBase64(
                "remove the line breaks: the vendor wants base64 on one line",
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(|_| {
                InvalidStart::PhotoBase64(
                    "not standard base64 (alphabet A-Z a-z 0-9 + /, '=' padding)",
                )
            })?;
        check_photo_bytes(&bytes)?;
        Ok(Self {
            base64: Secret::new(base64),
            kind,
        })
    }
}

fn check_photo_bytes(bytes: &[u8]) -> Result<(), InvalidStart> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(InvalidStart::PhotoTooLarge {
            size: bytes.len(),
            max: MAX_PHOTO_BYTES,
        });
    }
    let known = [&b"\xFF\xD8\xFF"[..], b"\x89PNG\r\n\x1a\n", b"BM"];
    if !known.iter().any(|magic| bytes.starts_with(magic)) {
        return Err(InvalidStart::PhotoFormat);
    }
    Ok(())
}

/// What a session needs: who, how to compare, where to come back to, and
/// in which [`Edition`] (basic H5 unless [`edition`](Self::edition) says
/// otherwise).
///
/// ```
/// use tencent_faceid::UserId;
/// use tencent_faceid::session::StartSession;
/// let request = StartSession::new(UserId::new("user42")?, "https://shop.example/face/callback".parse()?)
///     .name("张三")
///     .id_number("110101199003071234");
/// assert!(!format!("{request:?}").contains("张三"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct StartSession {
    pub(super) user_id: UserId,
    /// `None` for the App SDK, whose result comes back through the app.
    pub(super) callback_url: Option<Url>,
    pub(super) edition: Edition,
    pub(super) name: Option<Secret>,
    pub(super) id_number: Option<Secret>,
    pub(super) photo: Option<SourcePhoto>,
    client_addr: Option<IpAddr>,
    /// A WeChat mini program's session: no callback URL, no browser.
    mini_program: bool,
}

impl StartSession {
    /// A session for `user_id` that comes back to `callback_url`.
    pub fn new(user_id: UserId, callback_url: Url) -> Self {
        Self::for_user(user_id).callback_url(callback_url)
    }

    /// A session for `user_id` that comes back to the callback URL the
    /// [`FaceId`](crate::FaceId) was built with
    /// ([`FaceIdBuilder::callback_url`](crate::facade::FaceIdBuilder::callback_url)),
    /// or to the one [`Self::callback_url`] sets.
    ///
    /// ```
    /// use tencent_faceid::UserId;
    /// use tencent_faceid::session::StartSession;
    /// let request = StartSession::for_user(UserId::new("user42")?).name("张三").id_number("110101199003071234");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_user(user_id: UserId) -> Self {
        Self {
            edition: Edition::Basic,
            ..Self::for_sdk(user_id)
        }
    }

    /// A session for `user_id` in the App SDK edition, which has no
    /// callback URL: the result comes back through your app (start it with
    /// [`SessionStarter::start_sdk`](super::SessionStarter::start_sdk)).
    ///
    /// ```
    /// use tencent_faceid::session::Edition;
    /// use tencent_faceid::UserId;
    /// use tencent_faceid::session::StartSession;
    /// let request = StartSession::for_sdk(UserId::new("user42")?).name("张三").id_number("110101199003071234");
    /// assert_eq!(request.edition_chosen(), Edition::AppSdk);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_sdk(user_id: UserId) -> Self {
        Self {
            user_id,
            callback_url: None,
            edition: Edition::AppSdk,
            name: None,
            id_number: None,
            photo: None,
            client_addr: None,
            mini_program: false,
        }
    }

    /// A session for `user_id` in the [WeChat edition](Edition::WeChat)
    /// for a mini program: no callback URL (the mini program hands your
    /// server the BizToken, see [the WeChat edition](crate::wechat)), so the order is bound
    /// to no browser, as an App SDK order. For WeChat H5, use
    /// [`Self::new`] (or [`Self::for_user`]) with
    /// `.edition(Edition::WeChat)` instead.
    ///
    /// ```
    /// use tencent_faceid::session::Edition;
    /// use tencent_faceid::UserId;
    /// use tencent_faceid::session::StartSession;
    /// let request = StartSession::for_mini_program(UserId::new("user42")?);
    /// assert_eq!(request.edition_chosen(), Edition::WeChat);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_mini_program(user_id: UserId) -> Self {
        Self {
            edition: Edition::WeChat,
            mini_program: true,
            ..Self::for_sdk(user_id)
        }
    }

    /// Where the browser comes back to after the vendor's page: your
    /// callback route's absolute URL.
    pub fn callback_url(mut self, callback_url: Url) -> Self {
        self.callback_url = Some(callback_url);
        self
    }

    /// Whether a callback URL is set, or none is wanted (a mini program).
    pub(crate) fn has_callback_url(&self) -> bool {
        self.callback_url.is_some() || self.is_mini_program()
    }

    /// Whether this is a WeChat mini program's session
    /// ([`Self::for_mini_program`]).
    pub(crate) fn is_mini_program(&self) -> bool {
        self.mini_program && self.edition == Edition::WeChat
    }

    /// The edition to start the session in (default [`Edition::Basic`]):
    /// [`Edition::Enhanced`] for the enhanced H5 page. Both H5 editions come
    /// back to the same callback, verified by the same
    /// [`CallbackVerifier`](crate::callback::CallbackVerifier).
    ///
    /// ```
    /// use tencent_faceid::session::Edition;
    /// use tencent_faceid::UserId;
    /// use tencent_faceid::session::StartSession;
    /// let request = StartSession::new(UserId::new("user42")?, "https://shop.example/face/callback".parse()?)
    ///     .edition(Edition::Enhanced);
    /// assert_eq!(request.edition_chosen(), Edition::Enhanced);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn edition(mut self, edition: Edition) -> Self {
        self.edition = edition;
        self
    }

    /// The edition chosen with [`Self::edition`] (or [`Self::for_sdk`]).
    pub fn edition_chosen(&self) -> Edition {
        self.edition
    }

    /// The user's name, for comparison with the authoritative source.
    pub fn name(mut self, name: impl Into<Secret>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The user's id number, for comparison with the authoritative source.
    pub fn id_number(mut self, id_number: impl Into<Secret>) -> Self {
        self.id_number = Some(id_number.into());
        self
    }

    /// A comparison photo of your own instead of the authoritative source.
    pub fn source_photo(mut self, photo: SourcePhoto) -> Self {
        self.photo = Some(photo);
        self
    }

    /// The address the request to start came from, for the
    /// [admission check](super::SessionStarterBuilder::admit) to limit per address.
    pub fn client_addr(mut self, addr: IpAddr) -> Self {
        self.client_addr = Some(addr);
        self
    }

    /// The user this session is for.
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    /// The address given with [`Self::client_addr`], if any.
    pub fn requested_from(&self) -> Option<IpAddr> {
        self.client_addr
    }

    /// The callback URL, when the vendor would accept it.
    pub(super) fn callback(&self) -> Result<&Url, InvalidStart> {
        match &self.callback_url {
            None => Err(InvalidStart::MissingCallbackUrl),
            Some(url) if !matches!(url.scheme(), "http" | "https") => {
                Err(InvalidStart::CallbackUrl)
            }
            Some(url) => Ok(url),
        }
    }

    /// Whether the vendor would accept it in `edition`. In the WeChat
    /// edition the identity is optional (the RuleId may read the ID card
    /// itself), and a mini program has no callback URL.
    pub(super) fn validate(&self, edition: Edition) -> Result<(), InvalidStart> {
        if edition.is_h5() || (edition == Edition::WeChat && !self.is_mini_program()) {
            self.callback()?;
        }
        let blank =
            |field: &Option<Secret>| field.as_ref().is_some_and(|v| v.expose().trim().is_empty());
        if blank(&self.name) || blank(&self.id_number) {
            return Err(InvalidStart::BlankIdentity);
        }
        if edition == Edition::WeChat {
            return match self.photo {
                Some(_) => Err(InvalidStart::PhotoInWeChat),
                None => Ok(()),
            };
        }
        if self.photo.is_none() && (self.name.is_none() || self.id_number.is_none()) {
            return Err(InvalidStart::MissingIdentity);
        }
        Ok(())
    }
}
