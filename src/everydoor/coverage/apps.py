from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "everydoor.coverage"

    def ready(self) -> None:
        # Every write to the registers makes the columnar copy stale (see coverage/columnar.py): bulk
        # imports and link runs through the ImportBatch / LinkRun they save in their transaction, ORM
        # edits through the rows themselves.
        from django.db.models.signals import post_delete, post_save

        from everydoor.core.versions import data_changed

        def changed(sender, **kwargs) -> None:
            data_changed()

        for model in ("registry.ImportBatch", "registry.Person", "registry.Card", "linkage.Link",
                      "linkage.LinkRun"):
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"columnar-{model}")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"columnar-{model}")
