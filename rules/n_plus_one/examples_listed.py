"""Examples of `query-per-listed-object` (docs and tests). `# expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

_MODELS = """
    from django.db import models


    class Client(models.Model):
        email = models.EmailField()


    class Label(models.Model):
        text = models.CharField(max_length=30)


    class Invoice(models.Model):
        client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invoices")
        labels = models.ManyToManyField(Label, blank=True)
        total = models.DecimalField(max_digits=10, decimal_places=2)


    class Payment(models.Model):
        invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
        amount = models.DecimalField(max_digits=10, decimal_places=2)
"""

_SERIALIZERS = """
    from rest_framework import serializers

    from .models import Invoice, Label, Payment


    class LabelSerializer(serializers.ModelSerializer):
        class Meta:
            model = Label
            fields = ["id", "text"]


    class InvoiceSerializer(serializers.ModelSerializer):
        client_email = serializers.EmailField(source="client.email", read_only=True){email}
        labels = LabelSerializer(many=True, read_only=True){labels}
        paid = serializers.SerializerMethodField()
        late_payments = serializers.SerializerMethodField()

        class Meta:
            model = Invoice
            fields = ["id", "total", "client_email", "labels", "paid", "late_payments"]

        def get_paid(self, obj):
            return obj.payments.count(){paid}

        def get_late_payments(self, obj):
            return Payment.objects.filter(invoice=obj, amount__lt=0).exists(){late}
"""

VALID = (
    Example(title="DRF: the view's queryset loads what the fields read", files={
        "billing/__init__.py": "",
        "billing/models.py": _MODELS,
        "billing/serializers.py": _SERIALIZERS.format(email="", labels="", paid="", late="").replace(
            "return Payment.objects.filter(invoice=obj, amount__lt=0).exists()", "return False"),
        "billing/views.py": """
            from rest_framework import generics, viewsets

            from .models import Invoice
            from .serializers import InvoiceSerializer


            class InvoiceViewSet(viewsets.ReadOnlyModelViewSet):
                serializer_class = InvoiceSerializer
                queryset = Invoice.objects.select_related("client").prefetch_related("labels", "payments")


            class InvoiceDetail(generics.RetrieveAPIView):
                serializer_class = InvoiceSerializer
                queryset = Invoice.objects.all()


            class OpenInvoices(generics.ListAPIView):
                serializer_class = InvoiceSerializer
                queryset = Invoice.objects.all()

                def get_queryset(self):
                    return Invoice.objects.filter(total__gt=0).select_related("client").prefetch_related(
                        "labels", "payments")
        """,
    }),
    Example(title="Admin: list_select_related", files={
        "billing/__init__.py": "",
        "billing/models.py": _MODELS,
        "billing/admin.py": """
            from django.contrib import admin

            from .models import Invoice


            @admin.register(Invoice)
            class InvoiceAdmin(admin.ModelAdmin):
                list_display = ("id", "client_email", "total")
                list_select_related = ("client",)

                def client_email(self, obj):
                    return obj.client.email
        """,
    }),
)

INVALID = (
    Example(title="DRF: fields that query for every listed object", files={
        "billing/__init__.py": "",
        "billing/models.py": _MODELS,
        "billing/serializers.py": _SERIALIZERS.format(email="  # expect", labels="  # expect",
                                                      paid="  # expect", late="  # expect"),
        "billing/views.py": """
            from rest_framework import viewsets

            from .models import Invoice
            from .serializers import InvoiceSerializer


            class InvoiceViewSet(viewsets.ModelViewSet):
                serializer_class = InvoiceSerializer
                queryset = Invoice.objects.order_by("-id")
        """,
    }),
    Example(title="Admin: a list_display column that reads a relation", files={
        "billing/__init__.py": "",
        "billing/models.py": _MODELS,
        "billing/admin.py": """
            from django.contrib import admin

            from .models import Payment


            class PaymentAdmin(admin.ModelAdmin):
                list_display = ("id", "amount", "client")

                def client(self, obj):
                    return obj.invoice.client.email  # expect


            admin.site.register(Payment, PaymentAdmin)
        """,
    }),
)
