"""Agency units and the communes they serve (field work comes later)."""

from django.db import models


class AgencyUnit(models.Model):
    """A social insurance office, e.g. the one serving Bảo Thắng, Gia Phú, Tằng Loỏng, Xuân Quang."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    province = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    communes = models.ManyToManyField("geo.AdminUnit", related_name="agency_units")

    def __str__(self):
        return self.name
