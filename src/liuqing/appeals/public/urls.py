"""URLs of the residents' pages. No `app_name`: appeals/urls.py includes this list at "p/"
inside the "appeals" namespace, so the names are appeals:public_home, appeals:public_submit, …
"""

from django.urls import path

from liuqing.appeals.public import views

urlpatterns = [
    path("", views.home, name="public_home"),
    path("new/", views.submit, name="public_submit"),
    path("receipt/<str:code>/", views.receipt, name="public_receipt"),
    path("track/", views.track, name="public_track"),
    path("track/<str:code>/", views.status, name="public_status"),
    path("board/", views.boards, name="public_boards"),
    path("board/<str:scope>/<int:pk>/", views.board, name="public_board"),
    path("board/<str:scope>/<int:pk>/pdf/", views.board_pdf, name="public_board_pdf"),
]
