//! Pictures people upload (a group's avatar and banner, an event's picture): checked by
//! decoding, never by a file name; decoded under limits, so a small file claiming huge
//! dimensions (a decompression bomb) is refused before its pixels are allocated; resized and
//! encoded again, which keeps only the pixels: metadata such as EXIF (a phone's GPS position,
//! the camera's serial number) is not carried over. Files are named by the SHA-256 of what is
//! stored, so a URL never changes meaning and may be cached for ever.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use kith_storage::Picture;

use crate::{Context, FederationError, Result};

/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD: usize = 5 * 1024 * 1024;
/// The widest or tallest picture decoded, in pixels.
const MAX_SIDE: u32 = 10_000;
/// The most memory a decoder may allocate.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// What a picture is for, which decides the largest size it is stored at.
pub use kith_storage::PictureRole as Role;

/// The box a picture of `role` is shrunk into (never enlarged).
fn bounds(role: Role) -> (u32, u32) {
    match role {
        Role::Avatar => (400, 400),
        Role::Banner => (1500, 500),
        Role::Event => (1200, 1200),
    }
}

/// A picture ready to store.
#[derive(Clone, Debug)]
pub struct Processed {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// `image/png` or `image/jpeg`.
    pub content_type: &'static str,
    /// Its size in pixels.
    pub dimensions: (u32, u32),
    /// The SHA-256 of `bytes`, lower-case hex.
    pub hash: String,
}

fn refuse<T>(why: impl Into<String>) -> Result<T> {
    Err(FederationError::BadRequest(why.into()))
}

/// Checks, decodes, resizes and encodes an uploaded picture. PNG, JPEG, WebP and GIF are read
/// (a GIF's first frame); what has transparency is stored as PNG, the rest as JPEG.
pub fn process(upload: &[u8], role: Role) -> Result<Processed> {
    if upload.len() > MAX_UPLOAD {
        return refuse(format!(
            "the picture is larger than {} MB",
            MAX_UPLOAD / 1024 / 1024
        ));
    }
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|e| FederationError::BadRequest(format!("reading the picture: {e}")))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif) => {}
        _ => return refuse("the file is not a PNG, JPEG, WebP or GIF picture"),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let picture = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => FederationError::BadRequest(format!(
            "the picture is too large (at most {MAX_SIDE} pixels a side)"
        )),
        other => FederationError::BadRequest(format!("the picture cannot be read: {other}")),
    })?;
    let (w, h) = bounds(role);
    let picture = if picture.width() > w || picture.height() > h {
        picture.thumbnail(w, h)
    } else {
        picture
    };
    encode(picture)
}

fn encode(picture: DynamicImage) -> Result<Processed> {
    let dimensions = (picture.width(), picture.height());
    let mut bytes = Vec::new();
    let failed = |e: image::ImageError| FederationError::BadRequest(format!("encoding: {e}"));
    let content_type = if picture.color().has_alpha() {
        picture
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .map_err(failed)?;
        "image/png"
    } else {
        let rgb = DynamicImage::ImageRgb8(picture.into_rgb8());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85);
        rgb.write_with_encoder(encoder).map_err(failed)?;
        "image/jpeg"
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    let hash = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Processed {
        bytes,
        content_type,
        dimensions,
        hash,
    })
}

/// A stored file's name: its hash and the extension of its type.
pub fn file_name(hash: &str, content_type: &str) -> String {
    let ext = if content_type == "image/png" {
        "png"
    } else {
        "jpg"
    };
    format!("{hash}.{ext}")
}

/// A stored file's public URL.
pub fn url(ctx: &Context, hash: &str, content_type: &str) -> String {
    format!(
        "{}media/{}",
        ctx.urls().base(),
        file_name(hash, content_type)
    )
}

/// A new unguessable name for a group's avatar or banner (128 random bits, hex): how a hidden
/// group's members' servers, which fetch avatars unsigned, may fetch it (migration 0027).
pub fn new_capability() -> Result<String> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| FederationError::Internal("no random bytes for a picture".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The URL a picture is served at to whoever has its `capability` (`/media/c/CAP/FILE`).
pub fn capability_url(ctx: &Context, capability: &str, hash: &str, content_type: &str) -> String {
    format!(
        "{}media/c/{capability}/{}",
        ctx.urls().base(),
        file_name(hash, content_type)
    )
}

/// Whether a capability is one Kith could have made (so a malformed one needs no query).
pub fn is_capability(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The folder pictures are kept in, or a refusal when none is configured.
pub fn dir(ctx: &Context) -> Result<&Path> {
    ctx.settings()
        .media_dir
        .as_deref()
        .ok_or_else(|| FederationError::BadRequest("pictures are not set up here".into()))
}

/// Where a stored file lives; `None` for a name that is not a hash and an extension.
pub fn path_of(dir: &Path, name: &str) -> Option<PathBuf> {
    let (hash, ext) = name.split_once('.')?;
    let valid = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && matches!(ext, "png" | "jpg");
    valid.then(|| dir.join(name))
}

/// Writes a processed picture to the media folder (under a temporary name first, so a reader
/// never sees half a file). Called before the change that shows it commits: a file left by a
/// change that failed is named by its content and shown by nothing.
pub async fn store(ctx: &Context, picture: &Processed) -> Result<()> {
    let dir = dir(ctx)?;
    let name = file_name(&picture.hash, picture.content_type);
    let path = dir.join(&name);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(());
    }
    let io = |e: std::io::Error| {
        FederationError::Storage(kith_storage::StorageError::Io {
            context: "storing a picture".into(),
            source: e,
        })
    };
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let partial = dir.join(format!(".{name}.{}", std::process::id()));
    tokio::fs::write(&partial, &picture.bytes)
        .await
        .map_err(io)?;
    tokio::fs::rename(&partial, &path).await.map_err(io)?;
    Ok(())
}

/// A stored picture as documents carry it.
pub fn image_ref(ctx: &Context, p: &Picture) -> crate::protocol::ImageRef {
    crate::protocol::ImageRef {
        kind: "Image",
        url: url(ctx, &p.hash, &p.content_type),
        media_type: p.content_type.clone(),
        name: p.alt.clone(),
    }
}
