"""The clause library (versioned data files) and the pure renderer terms -> DOCX bytes (issue 4)."""
