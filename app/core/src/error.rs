//! The one error type of the device core. Messages are zh-CN first, then English, so the CLI
//! and the app can show them as they are.

use gridwalk_shared::{doc::DocError, wire::WireError, ValidationError};
use uuid::Uuid;

/// Result with the device core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong on the device.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The local SQLite store failed.
    #[error("本地数据库错误 / local database error: {0}")]
    Store(#[from] rusqlite::Error),
    /// A file or directory could not be used.
    #[error("文件错误 / file error: {0}")]
    Io(#[from] std::io::Error),
    /// A stored document could not be read or changed.
    #[error("文档错误 / document error: {0}")]
    Doc(Box<DocError>),
    /// Something stored locally is not in the expected shape.
    #[error("本地数据损坏 / corrupt local data: {0}")]
    Corrupt(String),
    /// The device has no account yet.
    #[error("设备尚未登记 / this device is not enrolled: run `gridwalk enroll` first")]
    NotEnrolled,
    /// Reference data (org tree, categories, …) has not been synced yet.
    #[error("尚未同步基础数据 / reference data not synced yet: run `gridwalk sync` first")]
    NoReference,
    /// No record with this id is held on the device.
    #[error("找不到记录 / no such record: {0}")]
    NotFound(Uuid),
    /// The record exists but is not of the kind the operation needs.
    #[error("记录类型不符 / record {id} is a {actual}, not a {expected}")]
    WrongKind {
        /// Record id.
        id: Uuid,
        /// Kind the operation needs.
        expected: &'static str,
        /// Kind the record has.
        actual: &'static str,
    },
    /// Validation refused a create or edit; nothing was changed.
    #[error("修改被拒绝 / refused ({}): {}", .0.code, .0.message)]
    Refused(#[from] ValidationError),
    /// The server could not be reached (after retries).
    #[error("无法连接服务器 / cannot reach the server after {attempts} attempt(s): {message}")]
    Network {
        /// Attempts made.
        attempts: u32,
        /// Last transport error.
        message: String,
    },
    /// The server answered with an error.
    #[error("服务器拒绝请求 / the server refused the request (HTTP {status}, {code}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Stable code from the error body.
        code: String,
        /// Message from the error body.
        message: String,
    },
    /// The server speaks another protocol version.
    #[error(
        "请更新应用 / please update the app: the server speaks sync protocol {server}, \
         this app speaks {ours}"
    )]
    UpdateRequired {
        /// The server's version as it said it (`unknown` if it did not).
        server: String,
        /// Ours.
        ours: u32,
    },
    /// The server's answer could not be understood.
    #[error("服务器应答无效 / invalid answer from the server: {0}")]
    Protocol(String),
    /// The request cannot be made as asked.
    #[error("无效操作 / invalid request: {0}")]
    Usage(String),
    /// A photo or audio note was refused; nothing was stored.
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
}

impl From<DocError> for Error {
    fn from(value: DocError) -> Self {
        Error::Doc(Box::new(value))
    }
}

impl From<WireError> for Error {
    fn from(value: WireError) -> Self {
        Error::Protocol(value.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(value: serde_json::Error) -> Self {
        Error::Corrupt(value.to_string())
    }
}
