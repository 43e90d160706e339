//! A handler's output on its way to a response: a `Result` whose error is of the
//! application's own type (any `E: Into<HttpError>`) gets an [`HttpError`] instead; anything
//! else goes on as it is (an `actix_web::Error`, or any `ResponseError`, works as before).
//!
//! The macros call `(&&Output::of(&out)).convert()(out)`: method resolution finds
//! [`IntoHttpError`] for a `Result<T, E: Into<HttpError>>` before [`KeepOutput`] (autoref
//! specialization), where the handler's type is known.

use std::marker::PhantomData;

use crate::HttpError;

/// Stands for a handler's output type while the conversion is chosen.
pub struct Output<X>(PhantomData<X>);

impl<X> Output<X> {
    /// The probe for `out`'s type.
    pub fn of(out: &X) -> Self {
        let _ = out;
        Self(PhantomData)
    }
}

/// `Result<T, E>` with `E: Into<HttpError>` becomes `Result<T, HttpError>`.
pub trait IntoHttpError {
    /// The handler's output.
    type In;
    /// What goes on to the response.
    type Out;
    /// The conversion.
    fn convert(&self) -> fn(Self::In) -> Self::Out;
}

impl<T, E: Into<HttpError>> IntoHttpError for &Output<Result<T, E>> {
    type In = Result<T, E>;
    type Out = Result<T, HttpError>;
    fn convert(&self) -> fn(Result<T, E>) -> Result<T, HttpError> {
        |out| out.map_err(Into::into)
    }
}

/// Any other output goes on as it is.
pub trait KeepOutput {
    /// The handler's output.
    type In;
    /// The identity.
    fn convert(&self) -> fn(Self::In) -> Self::In {
        |out| out
    }
}

impl<X> KeepOutput for &&Output<X> {
    type In = X;
}
