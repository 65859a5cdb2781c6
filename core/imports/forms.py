"""Forms of the register import (upload, then confirm after the preview)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp


class UploadForm(FlaskForm):
    file = FileField(_l("Excel (.xlsx) or CSV file"),
                     validators=[FileRequired(), FileAllowed(["xlsx", "csv"], _l("Upload an .xlsx or .csv file."))])


class ConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}\.(xlsx|csv)$")])
