"""Fixtures shared by the unit tests: the provider's example answer and keys."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import RSAKey

#: The access token of the provider page's code-exchange example: an RS256
#: JWT whose ``iat``, ``nbf`` and ``exp`` are floats, ``sub`` is ``"1"`` and
#: ``scopes`` is empty.
PAGE_ACCESS_TOKEN = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiI5OTE4OGI1MS05YWJlLTQwMjgtODg5"
    "My00OTA1ZDdkZjk0MzgiLCJqdGkiOiJhN2U4N2JhNmIxMWMzNmRjN2NjZTc0ZmI1NTRiZWVlMDJh"
    "ZDJkMmFmMjJkZTgzNjI2YmMzZGE4YmM1NGNhNTI3MzlmZDNhY2M1NzkxYmU2NyIsImlhdCI6MTY4"
    "MzMxNTM5OC41MjEwMjcsIm5iZiI6MTY4MzMxNTM5OC41MjEwMzYsImV4cCI6MTY4NDYxMTM5OC40"
    "Nzg5Mywic3ViIjoiMSIsInNjb3BlcyI6W119.A9tNltGQGZBp0blOZvpHGjkccWiV6aT2waMPUBYG"
    "wjZjKwSH9SXLt_N08E2FH6xg4A1e716fOyiu2MBmLza25xx3t0WaiU0Ay62UrrU_MM0rSLkjbsiQU"
    "eHDXfnHZ9cntPE2333aqI5AJNm1h4f39lSoTOUbG8Wkud2G5XlMQ1Wtj-vr7_jJGQHMGDodPo2MeK"
    "WJiQJQeDg8J0HZAxDa5ZUAFNeuOrWB9dKe4LMWiZpfmFz715Id9cxeL47RUTY2H2vGtdxYC3-wJFv"
    "QBTUHAp-jX-arY6B-av7Mhmdt4OGtE2GF0n2ROUiaLLNsIsaHBSmu66P-FcbWQUP9zTGprvhlg7wJ"
    "l8fJTrb7d_Vpb-AC4AOfiOo_BnbkRLQDhUy9PDVr7MhUyAdFNUxy_dGRGuAJ7jqfoKSOXMX7jxFtS"
    "JOvFsg7JU1kAvCzVXi7B88N-HATCsmZu0En-oTvOfJB0VN2JFkvlCxA2857Ae0HUDU372N87noqPph"
    "J-D7eTtLesM9R2Nv1mcMIj52qEU8V-5jqWtwkBsgnohVQGehc4eJo4T9PuZVu5SlxEQ1LmRh__U7xA"
    "tV4w59rcrHrtUSw--b2Ip-BUqv0PRqg4mJ2q-y6J40k_-ZYBd2f5rPdDTvoorDD9xhD29csuMc5GIl"
    "_3kL-0jkSWtWJItt_KfTsOFg"
)

#: The refresh token of the same example: opaque hex, about 780 characters.
PAGE_REFRESH_TOKEN = (
    "def50200cbd6c6fd51f1f985a5e7626c5b4cf184b75dfcf057dc667208274569701060fbdd3a8"
    "6b67db658d6ad1b0b9ad8043fb52863a623559234901089207e72403138e07e6d66a48ba5791c"
    "e0e3855a1c3f68c44485597f7761a65cf28089e8304daba64d5aac1f6c6096ce92139286c5e65"
    "8ef309dfae5d879e3efd42c8c0bc80a841f9bd87f1e02111143ad83dcb98d1da51a38cad3541c"
    "2da26743167d7a6e033204bb8ff4ead1310d6fabdbdb4e28e2bb28889fd8e8a3c8355366d7c02"
    "19a01749b8ce7ac731bb8a70f48c7a3b822e68abde9909234ec35c03a2ef26dbacececd459c03"
    "1b5ae465b8facfbc893fe6289f6ed162aafcf543613a210ac0724118d9abcad9cea364abcd0a9"
    "362d938269dcfb637cea6e1b7d97333881002f845257021f00310292b32be976830632f17da7f"
    "38734670c52341e47715d9515b67a9009d47af8c728beb81d887c819421f276b68f16bd43842e"
    "b5633a987b1c4bf428dc065c87172639237c1d699debb341dd937f9f28d29dac95a1817c80737"
    "da7e68"
)

#: The ``exp`` claim of :data:`PAGE_ACCESS_TOKEN`, a float.
PAGE_EXP = 1684611398.47893

#: The client secret of the page's example, used where a secret must not leak.
PAGE_CLIENT_SECRET = "MfmUvvZlS20SDSV2VF8w32zUFrcuV7CI9A2SHhdj"


@pytest.fixture
def page_answer() -> dict[str, Any]:
    """A fresh copy of the page's code-exchange answer, for each test."""
    return {
        "token_type": "Bearer",
        "expires_in": 1296000,
        "access_token": PAGE_ACCESS_TOKEN,
        "refresh_token": PAGE_REFRESH_TOKEN,
    }


@pytest.fixture(scope="session")
def signing_key() -> RSAKey:
    """An RSA key standing in for the provider's token-signing key."""
    return RSAKey.generate_key(2048)


@pytest.fixture(scope="session")
def public_key_pem(signing_key: RSAKey) -> str:
    """The public half of :func:`signing_key`, PEM encoded, as configured."""
    return signing_key.as_pem(private=False).decode("ascii")
