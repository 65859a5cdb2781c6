"""Payment providers: the built-in offline one (cash, bank transfer) and a simulated online one that
stands in for WeChat Pay or Alipay in tests and demos (its callback is a plain JSON post)."""

from __future__ import annotations

import uuid


class OfflineProvider:
    label = "Offline (cash or bank transfer)"
    online = False

    def start(self, payment) -> dict:
        return {}

    def verify(self, request):
        raise LookupError("the offline provider has no callback")


class SimulatedProvider:
    """Starts a pending payment with a reference; ``POST /api/v1/fees/providers/simulated/callback``
    with ``{"reference", "amount", "status"}`` completes it (duplicated and late callbacks included)."""

    label = "Simulated online payment"
    online = True

    def start(self, payment) -> dict:
        return {"reference": payment.reference, "pay_url": f"/fees/portal/simulated-pay/{payment.reference}"}

    @staticmethod
    def new_reference() -> str:
        return "SIM" + uuid.uuid4().hex[:16].upper()

    def verify(self, request):
        body = request.get_json(silent=True) or {}
        return body.get("reference"), body.get("amount"), body.get("status", "paid")
