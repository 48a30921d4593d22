"""PDF documents drawn with reportlab, headless (no Qt): the shipped fonts, shared PDF helpers
(atomic writing, metadata, escaping) and one module per document, such as the referral slip."""
