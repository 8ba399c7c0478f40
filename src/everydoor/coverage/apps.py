from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "everydoor.coverage"

    def ready(self) -> None:
        # Every write to the registers makes the columnar copy stale (see coverage/columnar.py): bulk
        # imports, link runs and review decisions through the ImportBatch / LinkRun / ReviewItem they
        # save in their transaction, ORM edits through the rows themselves. No post_delete receivers:
        # they would turn every bulk delete of links into a row-by-row one (rows are never deleted
        # but by a review, which saves its ReviewItem).
        from django.db.models.signals import post_save

        from everydoor.core.versions import data_changed

        def changed(sender, **kwargs) -> None:
            data_changed()

        for model in ("registry.ImportBatch", "registry.Person", "registry.Card", "linkage.Link",
                      "linkage.LinkRun", "linkage.ReviewItem"):
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"columnar-{model}")
