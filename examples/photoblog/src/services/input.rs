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
/// `description`, `content`. The schema says what [`text`] checks, and another field is a 400
/// (a misspelt field is an error, not a silent default): a client, or a fuzzer reading the
/// OpenAPI document, knows what is refused before sending it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename = "album", deny_unknown_fields)]
pub(crate) struct AlbumIn {
    /// 1 to 200 characters, not only spaces.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*\S[^\x00]*$"
    )]
    #[serde(default)]
    pub(crate) title: String,
    /// At most 100 characters.
    #[schema(max_length = 100, pattern = r"^[^\x00]*$")]
    pub(crate) author: Option<String>,
    /// At most 2000 characters.
    #[schema(max_length = 2000, pattern = r"^[^\x00]*$")]
    pub(crate) description: Option<String>,
    /// At most 100000 characters.
    #[schema(max_length = 100000, pattern = r"^[^\x00]*$")]
    pub(crate) content: Option<String>,
}

impl AlbumIn {
    pub(crate) fn validated(self) -> Result<AlbumFields, AppError> {
        Ok(AlbumFields {
            title: title(self.title)?,
            author: text("author", self.author, false, 100)?,
            description: text("description", self.description, false, 2_000)?,
            content: text("content", self.content, false, 100_000)?,
        })
    }
}

/// A new film, as a client sends it: its title and its album.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename = "film", deny_unknown_fields)]
pub(crate) struct NewFilm {
    /// 1 to 200 characters, not only spaces.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*\S[^\x00]*$"
    )]
    #[serde(default)]
    pub(crate) title: String,
    /// The album it belongs to.
    pub(crate) album_id: i64,
}

/// A film's new title, as a client sends it (a film stays in its album).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename = "film", deny_unknown_fields)]
pub(crate) struct FilmIn {
    /// 1 to 200 characters, not only spaces.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*\S[^\x00]*$"
    )]
    #[serde(default)]
    pub(crate) title: String,
}

/// An album's or a film's title, checked (1–200 characters, trimmed).
pub(crate) fn title(value: String) -> Result<String, AppError> {
    text("title", Some(value), true, 200)
}

/// A photo's legend.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename = "photo", deny_unknown_fields)]
pub(crate) struct PhotoIn {
    /// At most 200 characters.
    #[schema(max_length = 200, pattern = r"^[^\x00]*$")]
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
