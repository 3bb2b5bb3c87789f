//! Moving export files between the export directory and the person at the UI, in bounded parts:
//! a download reads a file part by part (web mode's browser or the desktop saves the parts as
//! one file); an upload writes parts in order to `<name>.upload` and renames it when the last
//! part arrives, so an import never sees half a file and an abandoned upload is never listed.

use base64::Engine;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{checked_name, existing_file, transfer_dir};
use crate::bytes::decode_b64;
use redscope::error::{Error, Result};

/// Most bytes one download part carries (about 5.3 MB of base64).
pub const MAX_READ_PART: u64 = 4 << 20;
/// Most bytes one upload part carries (its base64 stays under web mode's 2 MB body limit).
pub const MAX_WRITE_PART: usize = 1 << 20;
/// Largest file an upload may make: an import file, not a way to fill the disk.
pub const MAX_UPLOAD: u64 = 4 << 30;
/// What an unfinished upload is called in the export directory.
const UPLOADING: &str = ".upload";

/// Request of `transfer_file_read`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct FileRead {
    /// A file of the export directory.
    pub name: String,
    /// Where the part starts (default 0).
    pub offset: Option<u64>,
    /// Bytes wanted (default and most: 4 MiB).
    pub len: Option<u64>,
}

/// One part of a file.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct FilePart {
    pub name: String,
    pub offset: u64,
    /// The part's bytes, base64.
    pub b64: String,
    /// The file's size.
    pub total: u64,
    /// The part reaches the end of the file.
    pub eof: bool,
}

/// Request of `transfer_file_write`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct FileWrite {
    /// The file's name in the export directory.
    pub name: String,
    /// Where this part goes: 0 starts the upload, then exactly the bytes sent so far.
    pub offset: u64,
    /// The part's bytes, base64 (at most 1 MiB decoded).
    pub b64: String,
    /// This is the last part: the file appears under its name.
    pub last: Option<bool>,
    /// Replace an existing file of that name.
    pub overwrite: Option<bool>,
}

/// Reply of `transfer_file_write`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct FileWritten {
    pub name: String,
    /// Bytes received so far (the next part's offset).
    pub received: u64,
    /// The upload is complete and the file listed.
    pub complete: bool,
}

/// Reads one part of an export file.
pub async fn read_part(req: FileRead) -> Result<FilePart> {
    let (name, path, total) = existing_file(&req.name).await?;
    let mut f = tokio::fs::File::open(&path).await?;
    let offset = req.offset.unwrap_or(0);
    if offset > total {
        return Err(Error::InvalidInput(format!(
            "offset {offset} is past the end of {name} ({total} bytes)"
        )));
    }
    let len = req.len.unwrap_or(MAX_READ_PART).clamp(1, MAX_READ_PART);
    let want = len.min(total - offset) as usize;
    let mut buf = vec![0u8; want];
    f.seek(std::io::SeekFrom::Start(offset)).await?;
    f.read_exact(&mut buf).await?;
    Ok(FilePart {
        name,
        offset,
        b64: base64::engine::general_purpose::STANDARD.encode(&buf),
        total,
        eof: offset + want as u64 >= total,
    })
}

/// Writes one part of an upload (see the module doc).
pub async fn write_part(req: FileWrite) -> Result<FileWritten> {
    let name = checked_name(&req.name)?;
    let bytes = decode_b64(&req.b64, "b64")?;
    if bytes.len() > MAX_WRITE_PART {
        return Err(Error::InvalidInput(format!(
            "a part carries at most {MAX_WRITE_PART} bytes ({} given)",
            bytes.len()
        )));
    }
    let dir = transfer_dir()?;
    let target = dir.join(&name);
    let partial = dir.join(format!("{name}{UPLOADING}"));
    if req.offset == 0 {
        if !req.overwrite.unwrap_or(false) && tokio::fs::try_exists(&target).await? {
            return Err(Error::ConfirmationRequired(format!(
                "{name} exists: choose another name or pass overwrite: true"
            )));
        }
        tokio::fs::create_dir_all(&dir).await?;
    }
    let mut f = if req.offset == 0 {
        tokio::fs::File::create(&partial).await?
    } else {
        let f = tokio::fs::OpenOptions::new()
            .append(true)
            .open(&partial)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::InvalidInput(format!(
                    "no upload of {name} in progress: send the part at offset 0 first"
                )),
                _ => e.into(),
            })?;
        let have = f.metadata().await?.len();
        if have != req.offset {
            return Err(Error::InvalidInput(format!(
                "{name}: {have} bytes received, so the next part starts at {have}, not {}",
                req.offset
            )));
        }
        f
    };
    let received = req.offset + bytes.len() as u64;
    if received > MAX_UPLOAD {
        drop(f);
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(Error::InvalidInput(format!(
            "{name}: an upload is at most {MAX_UPLOAD} bytes"
        )));
    }
    f.write_all(&bytes).await?;
    f.flush().await?;
    let complete = req.last.unwrap_or(false);
    if complete {
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&partial, &target).await?;
        tracing::info!(file = %name, bytes = received, "upload to the export directory complete");
    }
    Ok(FileWritten {
        name,
        received,
        complete,
    })
}
