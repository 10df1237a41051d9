"""Card payments through the provider's REST API."""
import requests

PROVIDER = "https://payments.example.com/v1"


def _post(path, body):
    response = requests.post(f"{PROVIDER}/{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def charge_card(token, amount):
    return _post("charges", {"token": token, "amount": str(amount)})


def refund(charge_id):
    return _post("refunds", {"charge": charge_id})
