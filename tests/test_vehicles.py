"""Vehicles bounded by the ground the scene net sees and by the detector's boxes (segmenters/objects.py
``trim_vehicles``, issue 11 round 5b): the VOC net's car blob runs onto the road under and beside the car."""

from __future__ import annotations

import numpy as np

from segmenters import objects
from segmenters.detector import COCO_CLASSES, Detection
from segmenters.nets import VOC_CLASSES, VOC_STRIDE

CAR, DOG = VOC_CLASSES.index("car"), VOC_CLASSES.index("dog")


def _det(label: str, score: float, box) -> Detection:
    scores = np.zeros(80, np.float32)
    scores[COCO_CLASSES.index(label)] = score
    return Detection(label, score, tuple(float(v) for v in box), scores)


def _street():
    """A 120 x 200 street: a car body (rows 40-79, columns 40-139) whose VOC blob also covers the road under it (rows
    80-94) and a stray patch far to the right (rows 20-49, columns 165-194); a dog beside it (no vehicle)."""
    labels = np.zeros((120, 200), np.int32)
    labels[40:95, 40:140] = CAR  # the body and the road under it
    labels[20:50, 165:195] = CAR  # a patch no box explains
    labels[100:115, 5:30] = DOG
    ground = np.zeros((120, 200), bool)
    ground[80:, :] = True  # the scene net's road: the bottom rows
    car = np.zeros((120, 200), bool)
    car[40:80, 40:140] = True
    return labels, ground, car


def test_the_ground_under_a_car_is_not_the_car():
    labels, ground, car = _street()
    out = objects.trim_vehicles(labels, ground, None, 10)
    assert ((out == CAR) == ((labels == CAR) & ~ground)).all()
    assert not ((out == CAR) & ground).any()  # nothing of the car is left on the road
    assert (out[100:115, 5:30] == DOG).all()  # not a vehicle: the ground rule leaves it (a dog on a lawn)


def test_car_pixels_far_outside_every_vehicle_box_are_not_car():
    labels, _, car = _street()
    boxes = [_det("car", 0.6, (42, 38, 138, 82)), _det("person", 0.9, (160, 10, 199, 60))]  # a person box: no bound
    out = objects.trim_vehicles(labels, None, boxes, 10)
    assert car[out == CAR].mean() > 0.75 and (out[40:80, 40:140] == CAR).all()  # the VOC edges inside the box stay
    assert not (out[:, 150:] == CAR).any()  # the stray patch outside every vehicle box is gone
    assert (out[82:86, 40:140] == CAR).all()  # within the box's 10 % margin (4.4 rows): kept
    assert not (out[88:95] == CAR).any()  # past it: cut
    assert (out[100:115, 5:30] == DOG).all()


def test_a_truck_or_bus_box_bounds_a_car_blob_too_and_both_bounds_together():
    labels, ground, car = _street()
    out = objects.trim_vehicles(labels, ground, [_det("truck", 0.5, (40, 40, 140, 80))], 10)
    assert ((out == CAR) == car).all()


def test_without_the_detector_the_boxes_do_not_bound_and_without_a_box_no_vehicle_stays():
    labels, _, _ = _street()
    assert (objects.trim_vehicles(labels, None, None, 10) == labels).all()  # no detector, no scene net: as before
    assert not (objects.trim_vehicles(labels, None, [], 10) == CAR).any()  # the detector saw no vehicle


def test_vehicle_zone_widens_each_box():
    zone = objects.vehicle_zone((100, 100), [_det("bus", 0.5, (20, 20, 60, 40)), _det("dog", 0.9, (0, 0, 10, 10))])
    assert zone[16, 16] and zone[43, 63] and not zone[50, 70]  # 10 % of 40 x 20 -> 4 px each side (at least 4)
    assert not zone[5, 5]  # a dog's box is no vehicle's


def test_ade_seen_groups_the_ground_and_the_vehicle_classes_against_the_best_other_class():
    from segmenters.nets import ADE_CLASSES

    probs = np.zeros((4, 4, len(ADE_CLASSES) + 1), np.float32)
    road, side, car, van, wall = (ADE_CLASSES.index(n) + 1 for n in ("road", "sidewalk", "car", "van", "wall"))
    probs[..., wall] = 0.5
    probs[0, :, road] = probs[0, :, side] = 0.3  # 0.6 together beats the wall's 0.5, neither alone does
    probs[1, :, road] = 0.4
    probs[2, :, car] = probs[2, :, van] = 0.3  # a van the net is unsure between car and van
    probs[3, :, car] = 0.4
    ground, vehicle = objects.ade_seen(probs, (4, 4))
    assert ground[0].all() and not ground[1:].any()
    assert vehicle[2].all() and not vehicle[[0, 1, 3]].any()


def test_a_vehicle_box_takes_what_the_scene_net_sees_as_a_vehicle_where_voc_saw_nothing():
    labels, ground, car = _street()
    seen = np.zeros(labels.shape, bool)
    seen[75:80, 30:150] = True  # the wheels the VOC net left out, and beyond the box
    seen[0:10, 0:200] = True  # a vehicle the scene net sees where no box is
    seen[100:115, 5:30] = True  # on the dog: the VOC net saw something there
    box = _det("truck", 0.5, (35, 38, 145, 80))
    out = objects.trim_vehicles(labels, ground, [box], 10, seen)
    assert (out[75:80, 35:145] == CAR).all()  # the truck box's new pixels join its car blob
    assert not (out[75:80, 30:35] == CAR).any() and not (out[0:10] == CAR).any()  # outside the box: not added
    assert (out[100:115, 5:30] == DOG).all()
    assert (
        objects.trim_vehicles(labels, ground, None, 10, seen) == objects.trim_vehicles(labels, ground, None, 10)
    ).all()
    empty = np.zeros_like(labels)
    bus = objects.trim_vehicles(empty, None, [_det("bus", 0.6, (0, 0, 50, 50))], 10, seen)
    assert (bus[0:10, 0:50] == VOC_CLASSES.index("bus")).all() and (bus[10:] == 0).all()  # no VOC blob: the box's class


def test_find_things_trims_the_car_on_the_road_and_keeps_it_whole_without_bounds():
    labels, ground, car = _street()
    labels[20:50, 165:195] = 0
    labels[100:115, 5:30] = 0
    grid = np.zeros((120 // VOC_STRIDE + 1, 200 // VOC_STRIDE + 1, len(VOC_CLASSES)), np.float32)
    grid[..., CAR] = 1.0
    rgb = np.full((120, 200, 3), 128, np.uint8)
    trimmed = objects.find_things(
        rgb, None, labels, grid, detections=[_det("car", 0.6, (40, 40, 140, 80))], ground=ground, seen=~ground
    )
    assert (trimmed.masks["car"] == car).all()
    whole = objects.find_things(rgb, None, labels, grid)
    assert (whole.masks["car"] == (labels == CAR)).all()


def test_other_vehicles_are_bounded_by_boxes_of_their_own_kind():
    plane, boat = VOC_CLASSES.index("aeroplane"), VOC_CLASSES.index("boat")
    labels = np.zeros((100, 100), np.int32)
    labels[10:30, 10:40] = plane  # a water drop the VOC net calls an aeroplane: no airplane box
    labels[60:90, 50:90] = boat
    boxes = [_det("boat", 0.5, (50, 60, 90, 90)), _det("car", 0.9, (10, 10, 40, 30))]  # a car box bounds no plane
    out = objects.trim_vehicles(labels, np.ones((100, 100), bool), boxes, 10)
    assert not (out == plane).any()
    assert (out[60:90, 50:90] == boat).all()  # its own box keeps it, and the ground rule is the cars' and buses' only
