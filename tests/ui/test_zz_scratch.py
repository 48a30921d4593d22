from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from station_app.ui.forms.patient_form import PatientForm
from station_app.store import patients

def test_scratch(session, nurse, qtbot, answers):
    w = session.window
    print("active", w.isActiveWindow(), QApplication.focusWidget(), w.current_area())
    reg = w.show_area("patients")
    nurse.ctrl(reg.list.search, Qt.Key.Key_R)
    form = nurse.dialog(PatientForm)
    print("focus", QApplication.focusWidget())
    nurse.type(form.full_name, "Nguyễn Thị Hương")
    print(repr(form.full_name.text()))
    nurse.press(form.sex, Qt.Key.Key_Down); nurse.press(form.sex, Qt.Key.Key_Down)
    print(form.sex.currentText(), form.sex.currentData())
    nurse.type(form.birth, "1985"); nurse.type(form.phone, "+84 912 345 678")
    nurse.type(form.village.lineEdit(), "Thôn Tây")
    print(repr(form.village.currentText()))
    before = patients.count(session.store)
    nurse.ctrl(form.phone, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: not form.isVisible())
    print(patients.count(session.store) - before, answers.asked)
