//! The one error type of the commands, serialised as `{kind, message}` so the UI can explain
//! each kind in plain words and still show the details.

use serde::Serialize;

/// What kind of failure a command met; the UI words each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The device has no account yet.
    NotEnrolled,
    /// Reference data has not been synced yet.
    NoReference,
    /// The server could not be reached.
    Network,
    /// The server refused the request.
    Server,
    /// The server speaks another protocol version.
    UpdateRequired,
    /// Validation refused the change; nothing was written.
    Refused,
    /// No such record on this device.
    NotFound,
    /// The request cannot be made as asked.
    Invalid,
    /// A photo or recording was refused (format, size); nothing was stored.
    Media,
    /// The local store or a file failed.
    Storage,
    /// Something not expected; the message says what.
    Internal,
}

/// A command's failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    /// Kind, for the UI's plain-language explanation.
    pub kind: ErrorKind,
    /// Details (zh-CN then English, from the device core).
    pub message: String,
}

impl CommandError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl From<gridwalk_client::Error> for CommandError {
    fn from(error: gridwalk_client::Error) -> Self {
        use gridwalk_client::Error as E;
        let kind = match &error {
            E::NotEnrolled => ErrorKind::NotEnrolled,
            E::NoReference => ErrorKind::NoReference,
            E::Network { .. } => ErrorKind::Network,
            E::Server { .. } | E::Protocol(_) => ErrorKind::Server,
            E::UpdateRequired { .. } => ErrorKind::UpdateRequired,
            E::Refused(_) => ErrorKind::Refused,
            E::NotFound(_) => ErrorKind::NotFound,
            E::WrongKind { .. } | E::Usage(_) => ErrorKind::Invalid,
            E::Media(_) => ErrorKind::Media,
            E::Store(_) | E::Io(_) | E::Doc(_) | E::Corrupt(_) => ErrorKind::Storage,
            #[allow(unreachable_patterns)] // the core may grow variants (media) before we map them
            _ => ErrorKind::Internal,
        };
        Self::new(kind, error.to_string())
    }
}

/// Result of a command.
pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_kind_and_message() {
        let error = CommandError::from(gridwalk_client::Error::NotEnrolled);
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["kind"], "not_enrolled");
        assert!(json["message"].as_str().unwrap().contains("not enrolled"));
    }
}
