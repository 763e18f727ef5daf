"""`manage.py seed_demo`: courses' demo data (courses/demo.py), then the deployments' (profiles,
personal documents, deployments with nominations, deployments/demo.py).

This command replaces courses' one of the same name: Django runs the command of the first app
in INSTALLED_APPS that has it, and `deployments` is listed before `courses` (settings.py). So
courses never imports deployments, and one `seed_demo` seeds both.
"""

from courses.management.commands.seed_demo import Command as CoursesSeedDemo
from deployments.demo import counts, seed_deployments


class Command(CoursesSeedDemo):
    help = CoursesSeedDemo.help + " Then requirement profiles, personal documents, deployments and nominations."

    def handle(self, *args, **options):
        super().handle(*args, **options)
        seed_deployments()
        figures = ", ".join(f"{value} {name}" for name, value in counts().items())
        self.stdout.write(self.style.SUCCESS(f"Deployments ready: {figures}."))
