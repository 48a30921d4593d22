from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from tests.ui.test_patient_form import open_registration, fill

def test_scratch(session, nurse, qtbot, answers):
    form = open_registration(session, nurse)
    fill(nurse, form, name="Nguyễn Thị Hương", sex="2", birth="1985", phone="+84 912 345 678", village="Thôn Tây")
    nurse.ctrl(form.phone, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: not form.isVisible())
    registry = session.window.views["patients"]
    print("active", QApplication.activeWindow(), QApplication.focusWidget(), session.window.isActiveWindow())
    qtbot.wait(200)
    print("active", QApplication.activeWindow(), QApplication.focusWidget(), session.window.isActiveWindow())
    nurse.press(registry.page.new_visit_button, Qt.Key.Key_Escape)
    print(registry.stack.currentWidget())
