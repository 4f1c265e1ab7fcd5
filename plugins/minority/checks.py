"""The check characters of Chinese identifiers: 统一社会信用代码 (GB 32100-2015) and 公民身份号码 (GB 11643-1999)."""
from __future__ import annotations

import datetime as dt
import re

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"


def credit_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code: 31 − (Σ value × weight mod 31), 31 read as 0."""
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def valid_credit_code(code: str) -> bool:
    """18 characters of the code's alphabet; 登记管理部门 1-9, A, N or Y; 6 digits of the administrative
    division; the check character right."""
    if not re.fullmatch(f"[{CREDIT_CHARS}]{{18}}", code or ""):
        return False
    if code[0] not in "123456789ANY" or not code[2:8].isdigit():
        return False
    return credit_check_char(code[:17]) == code[17]


def id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number: Σ digit × 2^(17−i) mod 11 mapped to 1 0 X 9 … 2."""
    return ID_CHECKS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def valid_id_number(number: str) -> bool:
    """18 characters, 17 digits and a digit or X; a real date of birth; the check character right."""
    if not re.fullmatch(r"\d{17}[\dX]", number or ""):
        return False
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > dt.date.today():
        return False
    return id_check_char(number[:17]) == number[17]


def normalise(text: str) -> str:
    """What the user typed, without spaces, in capitals (a lower-case x or letter is accepted)."""
    return re.sub(r"\s+", "", text or "").upper()
