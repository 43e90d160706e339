//! What clients send to the services (and the album forms): each entity's fields, checked.

use serde::Deserialize;

use crate::error::AppError;
use crate::model::AlbumFields;

/// A text field, trimmed: present when `required`, at most `max` characters, no NUL (which
/// PostgreSQL refuses to store).
pub(crate) fn text(
    field: &str,
    value: Option<String>,
    required: bool,
    max: usize,
) -> Result<String, AppError> {
    let v = value.unwrap_or_default().trim().to_owned();
    if required && v.is_empty() {
        return Err(AppError::Invalid(format!("{field} is required.")));
    }
    if v.contains('\0') {
        return Err(AppError::Invalid(format!(
            "{field} contains a NUL character."
        )));
    }
    if v.chars().count() > max {
        return Err(AppError::Invalid(format!(
            "{field} is longer than {max} characters."
        )));
    }
    Ok(v)
}

/// An album as a client sends it: `title` (required, 1–200 characters), `author`,
/// `description`, `content`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename = "album")]
pub(crate) struct AlbumIn {
    pub(crate) title: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) content: Option<String>,
}

impl AlbumIn {
    pub(crate) fn validated(self) -> Result<AlbumFields, AppError> {
        Ok(AlbumFields {
            title: text("title", self.title, true, 200)?,
            author: text("author", self.author, false, 100)?,
            description: text("description", self.description, false, 2_000)?,
            content: text("content", self.content, false, 100_000)?,
        })
    }
}

/// A film as a client sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename = "film")]
pub(crate) struct FilmIn {
    pub(crate) title: Option<String>,
    /// The album it belongs to (POST only).
    pub(crate) album_id: Option<i64>,
}

impl FilmIn {
    /// The title, checked (1–200 characters).
    pub(crate) fn title(self) -> Result<String, AppError> {
        text("title", self.title, true, 200)
    }
}

/// A photo's legend.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename = "photo")]
pub(crate) struct PhotoIn {
    pub(crate) legend: Option<String>,
}

/// A legend, checked (at most 200 characters, may be empty).
pub(crate) fn legend(value: Option<String>) -> Result<String, AppError> {
    text("legend", value, false, 200)
}

#[cfg(test)]
mod tests {
    use drupe::HttpError;

    #[test]
    fn text_fields() {
        let field = |v: &str, required| super::text("title", Some(v.to_owned()), required, 5);
        assert_eq!(field("  ab ", true).unwrap(), "ab");
        assert_eq!(field("", false).unwrap(), "");
        for (bad, required, says) in [
            ("", true, "title is required."),
            ("   ", true, "title is required."),
            ("abcdef", false, "title is longer than 5 characters."),
            ("a\0b", false, "title contains a NUL character."),
        ] {
            let e = HttpError::from(field(bad, required).unwrap_err());
            assert_eq!(e.status().as_u16(), 400, "{bad:?}");
            assert_eq!(e.message(), says, "{bad:?}");
        }
    }
}
